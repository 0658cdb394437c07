"""Check a disclosed pre-release commitment: the preimage, the digest and the chain.

``manage.py verify_commitment <id>`` reads a commitment from this database;
``--url https://host/api/transparency/commitments/<id>`` from any datafi
instance's public API; ``--file`` from a saved copy. It recomputes sha256 of the
published preimage, compares it with the published digest and with the input of
the published on-chain transaction (sent by the published sender, mined
successfully), and says what the preimage contains. Any difference is an error
(exit status 1). Reads only: nothing is sent, deployed or recorded.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from rewards.management.transparency_json import load_url


class Command(BaseCommand):
    help = "Recompute a disclosed commitment's digest from its preimage and check it on chain."

    def add_arguments(self, parser):
        parser.add_argument("id", nargs="?", type=int, help="commitment id in this database")
        parser.add_argument("--url", help="an /api/transparency/commitments/<id> URL")
        parser.add_argument("--file", help="a saved commitment JSON")
        parser.add_argument(
            "--offchain", action="store_true", help="only recompute the digest (no chain read)"
        )

    def handle(self, *args, id=None, url=None, file=None, offchain=False, **options):
        from rewards.services import commitments

        if sum(x is not None for x in (id, url, file)) != 1:
            raise CommandError("give exactly one of: a commitment id, --url, --file")
        if id is not None:
            from rewards.selectors import prerelease_commitment

            data = prerelease_commitment(commitment_id=id)
            if data is None:
                raise CommandError(f"no commitment {id}")
        elif url:
            data = load_url(url)
        else:
            with open(file) as fh:
                data = json.load(fh)
        digest, preimage = data.get("digest"), data.get("preimage")
        if not digest:
            raise CommandError("this is not a commitment (no digest)")
        if not preimage:
            raise CommandError(
                "NOT VERIFIED: the preimage is not published yet (the model is still in testing)"
            )
        recomputed = commitments.commitment_digest(preimage)
        self.stdout.write(f"preimage:          {preimage}")
        self.stdout.write(f"published digest:  {digest}")
        self.stdout.write(f"recomputed digest: {recomputed}")
        if recomputed.lower() != digest.lower():
            raise CommandError("MISMATCH: the preimage does not hash to the published digest")
        try:
            fields = json.loads(preimage)
        except ValueError:
            raise CommandError("MISMATCH: the preimage is not the canonical JSON") from None
        canonical = commitments.commitment_preimage(
            codename=fields.get("codename", ""),
            organization=fields.get("organization", ""),
            started_at=fields.get("started_at", ""),
            salt=fields.get("salt", ""),
        )
        if canonical != preimage:
            raise CommandError("MISMATCH: the preimage is not in the canonical form")
        org = data.get("organization_slug")
        if org and fields["organization"] != org:
            raise CommandError(
                f"MISMATCH: the preimage names organisation {fields['organization']!r}, "
                f"the commitment is listed under {org!r}"
            )
        results = data.get("results") or {}
        if results.get("codename") and results["codename"] != fields["codename"]:
            raise CommandError(
                f"MISMATCH: the results are for {results['codename']!r}, "
                f"the preimage commits to {fields['codename']!r}"
            )
        self.stdout.write(
            f"commits to: codename {fields['codename']!r}, organisation "
            f"{fields['organization']!r}, started {fields['started_at']}"
        )
        if not offchain:
            self._check_onchain(data, digest)
        self.stdout.write(self.style.SUCCESS("OK: the disclosure matches its commitment"))

    def _check_onchain(self, data: dict, digest: str) -> None:
        from rewards import chain
        from rewards.services import commitments

        tx = data.get("tx") or {}
        if not tx.get("hash"):
            raise CommandError("NOT VERIFIED on chain: the commitment has no transaction yet")
        network = data.get("network")
        try:
            here = chain.network()
        except chain.ChainUnavailable as exc:
            raise CommandError(f"NOT VERIFIED on chain: {exc}") from None
        if network and here != network:
            raise CommandError(
                f"NOT VERIFIED on chain: this process reads {here}, the commitment was recorded "
                f"on {network} (an in-process chain lives only in the server that runs it; set "
                "CHAIN_RPC_URL to the node it was recorded on, or use --offchain)"
            )
        try:
            record = commitments.commitment_check(
                digest=digest,
                preimage=data["preimage"],
                tx_hash=tx["hash"],
                sender=data.get("sender"),
            )
        except commitments.CommitmentMismatch as exc:
            raise CommandError(f"MISMATCH on chain: {exc}") from None
        except chain.ChainUnavailable as exc:
            raise CommandError(f"NOT VERIFIED on chain: {exc}") from None
        self.stdout.write(
            f"on chain: {record.tx_hash} from {record.sender}, block {record.block_number}, "
            f"input {record.data}"
        )
