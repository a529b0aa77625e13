"""DKIM keys for the end-to-end runs and an independent verifier (dkimpy) of what AME signs.

    python dkim_check.py keys DIR     writes rsa.pem (PKCS#1), ed25519.key (base64 seed) and the
                                      DNS TXT records rsa.txt and ed25519.txt into DIR
    python dkim_check.py verify DIR   verifies every DIR/*.eml; fails unless all verify and
                                      there are at least four

Selectors are the record files' names (`rsa`, `ed25519`, and those of keys AME generated); the
public keys are served to dkimpy from DIR in place of DNS.
"""

import base64
import pathlib
import sys

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa


def write_keys(folder: pathlib.Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "rsa.txt").exists() and (folder / "ed25519.txt").exists():
        return
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "rsa.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (folder / "rsa.txt").write_text("v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode())
    edkey = ed25519.Ed25519PrivateKey.generate()
    seed = edkey.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    (folder / "ed25519.key").write_text(base64.b64encode(seed).decode())
    raw = edkey.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    (folder / "ed25519.txt").write_text("v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode())


class Verifier:
    """Verifies signatures against the TXT records in a key folder."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.records = {path.stem.encode(): path.read_bytes() for path in folder.glob("*.txt")}

    def dns(self, name: bytes, timeout: int = 5) -> bytes | None:
        return self.records.get(name.split(b".")[0])

    def verify(self, message: bytes) -> bool:
        return bool(dkim.DKIM(message).verify(dnsfunc=self.dns))


def verify_folder(folder: pathlib.Path) -> None:
    verifier = Verifier(folder)
    files = sorted(folder.glob("*.eml"))
    failed = [f.name for f in files if not verifier.verify(f.read_bytes())]
    print(f"DKIM: {len(files) - len(failed)} of {len(files)} signed messages verify under dkimpy")
    if len(files) < 6:
        raise SystemExit("fewer than six signed samples were written")
    if failed:
        raise SystemExit(f"signatures that do not verify: {', '.join(failed)}")


if __name__ == "__main__":
    action, target = sys.argv[1], pathlib.Path(sys.argv[2])
    if action == "keys":
        write_keys(target)
    elif action == "verify":
        verify_folder(target)
    else:
        raise SystemExit(f"unknown action {action}")
