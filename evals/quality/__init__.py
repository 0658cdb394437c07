"""Vote quality: gold battles, voter reliability, rate limits, sampling fairness.

Layout (house style): ``models`` (tables, migrated in ``evals``), ``stats`` (pure
maths, no Django), ``services`` (writes), ``selectors`` (reads), ``limits``
(atomic vote counters), ``views``/``urls`` (dashboard and fairness pages).
"""
