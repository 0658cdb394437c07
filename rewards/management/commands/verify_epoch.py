"""Recompute a payout epoch's Merkle root from its published leaves.

Anyone can run this against a datafi instance's public API (``--url``), a saved
JSON file (``--file``), or, on the server, the local database (an epoch number).
With ``--onchain`` it also reads the root the distributor holds for that epoch, and
fails (changing nothing) when the chain it reads is not the one the epoch was
published on.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from rewards.management.transparency_json import load_url
from rewards.merkle import MerkleTree


class Command(BaseCommand):
    help = "Recompute an epoch's root from its leaves and compare it with the published root."

    def add_arguments(self, parser):
        parser.add_argument("number", nargs="?", type=int, help="epoch number in this database")
        parser.add_argument("--url", help="an /api/transparency/epochs/<n> URL")
        parser.add_argument("--file", help="a saved epoch JSON (or a bare standard-v1 dump)")
        parser.add_argument("--onchain", action="store_true", help="also compare with the chain")

    def handle(self, *args, number=None, url=None, file=None, onchain=False, **options):
        if sum(x is not None for x in (number, url, file)) != 1:
            raise CommandError("give exactly one of: an epoch number, --url, --file")
        if number is not None:
            from rewards.models import Epoch
            from rewards.selectors import epoch_dict

            epoch = Epoch.objects.filter(number=number).first()
            if epoch is None:
                raise CommandError(f"no epoch {number}")
            data = epoch_dict(epoch)
        elif url:
            data = load_url(url)
        else:
            with open(file) as fh:
                data = json.load(fh)
        dump = data.get("dump", data)
        published = data.get("root") or dump["tree"][0]
        rows = [(v["value"][0], int(v["value"][1])) for v in dump["values"]]
        # Rebuilt from the (address, amount) rows alone, not from the dump's own tree.
        root = MerkleTree(rows).root()
        self.stdout.write(f"leaves: {len(rows)}")
        self.stdout.write(f"published root:  {published}")
        self.stdout.write(f"recomputed root: {root}")
        if root.lower() != published.lower():
            raise CommandError("MISMATCH: the leaves do not give the published root")
        if onchain:
            self._check_onchain(data, root)
        self.stdout.write(self.style.SUCCESS("OK: the root matches its leaves"))

    def _check_onchain(self, data: dict, root: str) -> None:
        # Read-only: under `make run` this process would otherwise start its own
        # empty in-process chain, deploy a contract pair on it (recording it for
        # /transparency/) and compare against that.
        from rewards import chain

        number, network = data.get("number"), data.get("network")
        if not isinstance(number, int) or not network:
            raise CommandError("--onchain needs the epoch's number and network (not a bare dump)")
        try:
            chain_root, chain_epoch = chain.epoch_root_onchain(network=network, epoch=number)
        except (chain.WrongChain, chain.ChainUnavailable) as exc:
            raise CommandError(f"NOT VERIFIED on chain: {exc}") from None
        self.stdout.write(f"on-chain root (epoch {number}): {chain_root}")
        if chain_epoch != number:
            self.stdout.write(f"(the distributor has moved on to epoch {chain_epoch})")
        if chain_root.lower() != root.lower():
            raise CommandError(f"MISMATCH: the chain holds a different root for epoch {number}")
