"""Install Detoxify's real weights for offline use.

    python -m moderation.detoxify_weights fetch [--model original] [--dest DIR]
    python -m moderation.detoxify_weights status

``fetch`` downloads the checkpoint Detoxify publishes for the model type
(with a progress bar), verifies its SHA-256 prefix (Detoxify's file names
carry it, e.g. ``...-c1212f89.ckpt``), saves the transformer's config and
tokenizer next to it, and writes a *local* checkpoint whose
``config.arch.args.model_type`` names that local directory: Detoxify always
calls ``from_pretrained(<model_type>)``, so for offline loading that entry
must be a directory, not a hub name. It then loads the result through the
real ``detoxify.Detoxify`` class and runs a prediction, and prints the two
settings to use:

    KINDRED_DETOXIFY_CHECKPOINT=<dest>/<model>-local.ckpt
    KINDRED_DETOXIFY_CONFIG_DIR=<dest>/<model>-config

Checkpoints are loaded with ``torch.load(weights_only=False)`` (Detoxify's
format needs it), which can run code from the file: only use checkpoints
from Detoxify's releases or ones you built yourself.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from moderation import settings as model_settings

# KINDRED_MODELS_DIR (config.py) replaces this when run as a command.
DEFAULT_DEST = Path.home() / ".cache" / "kindred" / "detoxify"


class FetchError(RuntimeError):
    """The weights could not be fetched or did not verify."""


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _hash_prefix(url: str) -> str | None:
    m = re.search(r"-([0-9a-f]{8,64})\.ckpt$", url)
    return m.group(1) if m else None


def download(url: str, dest: Path, *, hash_prefix: str | None, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` with a progress bar, verifying the hash."""
    import torch

    target = dest / os.path.basename(url)
    if target.exists() and (hash_prefix is None or sha256_file(target).startswith(hash_prefix)):
        print(f"Already downloaded: {target}")
        return target
    dest.mkdir(parents=True, exist_ok=True)
    print(f"Downloading {url}")
    try:
        # Writes to a temporary file, checks the SHA-256 prefix, then renames.
        torch.hub.download_url_to_file(url, str(target), hash_prefix=hash_prefix, progress=progress)
    except RuntimeError as exc:
        raise FetchError(f"download failed verification: {exc}") from exc
    except OSError as exc:
        raise FetchError(f"download failed: {exc} (is this machine online?)") from exc
    return target


def localise(checkpoint: Path, dest: Path, *, name: str, config_source: str | None = None) -> tuple[Path, Path]:
    """Save the transformer config + tokenizer locally and write a checkpoint
    whose ``model_type`` points at them. Returns (checkpoint, config_dir)."""
    import torch
    import transformers

    loaded: dict[str, Any] = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if "config" not in loaded or "state_dict" not in loaded:
        raise FetchError(f"{checkpoint} is not a Detoxify checkpoint (needs 'config' and 'state_dict')")
    args = loaded["config"]["arch"]["args"]
    config_dir = dest / f"{name}-config"
    source = config_source or args["model_type"]
    model_class = getattr(transformers, args["model_name"])
    config = model_class.config_class.from_pretrained(source, num_labels=args["num_classes"])
    tokenizer = getattr(transformers, args["tokenizer_name"]).from_pretrained(source)
    config_dir.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(config_dir)
    tokenizer.save_pretrained(config_dir)
    args["model_type"] = str(config_dir.resolve())
    local = dest / f"{name}-local.ckpt"
    torch.save(loaded, local)
    return local, config_dir


def verify(checkpoint: Path, config_dir: Path) -> dict[str, float]:
    """Load through the real Detoxify class and predict one sentence."""
    from detoxify import Detoxify

    from moderation.toxicity import torch_threads

    torch_threads()
    model = Detoxify(checkpoint=str(checkpoint), huggingface_config_path=str(config_dir))
    return {k: float(v) for k, v in model.predict("Thank you, that really helped me today.").items()}


def fetch(model_type: str = "original", dest: Path = DEFAULT_DEST, *, url: str | None = None,
          hash_prefix: str | None = None, config_source: str | None = None, progress: bool = True) -> dict[str, str]:
    """Download, verify, localise and test Detoxify weights. Returns settings."""
    if url is None:
        from detoxify.detoxify import MODEL_URLS

        if model_type not in MODEL_URLS:
            raise FetchError(f"unknown model {model_type!r}; choose from {', '.join(MODEL_URLS)}")
        url = MODEL_URLS[model_type]
    prefix = hash_prefix or _hash_prefix(url)
    raw = download(url, dest, hash_prefix=prefix, progress=progress)
    print(f"Verified SHA-256 prefix {prefix}" if prefix else "No published hash to verify against")
    local, config_dir = localise(raw, dest, name=model_type, config_source=config_source)
    scores = verify(local, config_dir)
    settings = {"KINDRED_DETOXIFY_CHECKPOINT": str(local.resolve()),
                "KINDRED_DETOXIFY_CONFIG_DIR": str(config_dir.resolve())}
    manifest = {"model_type": model_type, "source": url, "sha256": sha256_file(local),
                "downloaded_sha256": sha256_file(raw), **settings}
    (dest / f"{model_type}-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print("Loaded and ran the model: " + ", ".join(f"{k}={v:.3f}" for k, v in scores.items()))
    return settings


def status() -> dict[str, str]:
    from moderation.toxicity import cached_checkpoint, detoxify_configured

    s = model_settings.current().detoxify
    return {
        "checkpoint": s.checkpoint or "(not set)",
        "config_dir": s.config_dir or "(not set)",
        "cached_download": cached_checkpoint(s.model_type) or "(none)",
        "active": "detoxify" if detoxify_configured(s) else "offline fallback (alt-profanity-check + rules)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m moderation.detoxify_weights", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fetch", help="download, verify and install Detoxify weights")
    f.add_argument("--model", default="original", help="Detoxify model type (default: original)")
    f.add_argument("--dest", type=Path, default=DEFAULT_DEST, help=f"directory (default: {DEFAULT_DEST})")
    f.add_argument("--url", help="download from this URL instead of Detoxify's release")
    f.add_argument("--sha256-prefix", help="expected SHA-256 prefix (default: from the file name)")
    f.add_argument("--config-source", help="a local directory with the transformer's config and tokenizer")
    f.add_argument("--no-progress", action="store_true")
    sub.add_parser("status", help="show which toxicity scorer is configured")
    args = parser.parse_args(argv)
    if args.command == "status":
        for k, v in status().items():
            print(f"{k}: {v}")
        return 0
    try:
        settings = fetch(args.model, args.dest, url=args.url, hash_prefix=args.sha256_prefix,
                         config_source=args.config_source, progress=not args.no_progress)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\nDone. Add these settings to the forum's environment:")
    for k, v in settings.items():
        print(f"{k}={v}")
    return 0


if __name__ == "__main__":
    # Run by hand: the settings the forum would use (config.py reads them).
    import config

    model_settings.install(config.model_settings())
    DEFAULT_DEST = Path(config.Config.KINDRED_MODELS_DIR)
    sys.exit(main())
