"""The shared contract files (../shared/contract beside the repository, or
ISSUES_API_CONTRACT_DIR)."""

import json
import os
from pathlib import Path

CONTRACT_DIR = Path(
    os.environ.get(
        "ISSUES_API_CONTRACT_DIR",
        Path(__file__).resolve().parents[2] / "shared" / "contract",
    )
)
EXAMPLE = json.loads((CONTRACT_DIR / "retrieve-issue.example.json").read_text())
EXAMPLE_HEADERS = (CONTRACT_DIR / "retrieve-issue.example.headers.txt").read_text()
OPENAPI = json.loads((CONTRACT_DIR / "sentry-issue-openapi.json").read_text())
