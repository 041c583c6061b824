"""In-app notifications (站内消息): what happened to a user's proposal, sheet or notice."""
