"""District figures (数据总览): what the platform's records say a district, a street or a community
did — over all time, in one edition or in one calendar year — with charts and the links to the rows
behind every figure. Read-only: nothing here writes.

``scope.py`` names what is counted, ``queries.py`` counts it (a fixed number of grouped queries),
``charts.py`` and ``numbers.py`` are pure (SVG, and numbers in words), ``summary.py`` writes the
district's sentence, ``links.py`` the links a viewer may follow, ``opendata.py`` the JSON of the API.
"""
