// The score sheet's running total (progressive enhancement: the server shows the saved total and
// checks every value on submit; this only keeps the sum current while the judge types).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var output = document.getElementById("sheet-total");
    if (!output) { return; }
    var form = output.closest("form");
    var inputs = form.querySelectorAll("input[data-points]");
    function update() {
      var total = 0;
      Array.prototype.forEach.call(inputs, function (input) {
        var value = parseFloat(input.value);
        if (isFinite(value)) { total += value; }
      });
      output.value = total.toFixed(2);
    }
    form.addEventListener("input", update);
    update();
  });
})();
