"""Cross-app flows: one module each, the only code that calls several apps'
services in one transaction (checked by the contracts in ``.importlinter``).

``fold``: a vote's consequences (quality, ratings counts, points).
``appeals``: an operator clears a flag (votes counted and credited again).
``signup``, ``market``, ``prerelease``: see each module.
``deletion``: a person deletes their account (identity, wallet, consent).

Views, the API, commands and workers call these; the apps' services,
selectors and models never import them.
"""
