"""Cross-app flows: one module each, the only code that calls several apps'
services in one transaction (checked by the contracts in ``.importlinter``).

``fold``: a vote's consequences (quality, ratings counts, points).
``appeals``: an operator clears a flag (votes counted and credited again).

Views, the API, commands and workers call these; the apps' services,
selectors and models never import them.
"""
