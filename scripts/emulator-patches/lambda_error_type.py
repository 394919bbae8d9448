"""Reviewed patch for MiniStack 1.5.33's local Node.js Lambda worker (applied
by scripts/emulator.sh; idempotent; fails loudly if the code moved).

Gap: every error thrown by a Node handler surfaced as `Runtime.HandlerError`.
The real Node.js runtime reports the error's `name` as `errorType` (so Step
Functions sees `TransientError` / `DataError`), and the state machine's Retry
on `TransientError` depends on it. The worker now sends the name and the
invoke path uses it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _patchlib import patch  # noqa: E402

MARK = "/* landing-to-lake patch: errorType */"


patch(
    "core/lambda_runtime.py",
    '''            status: "error", error: String(err.message || err), trace: err.stack || ""
          }) + "\\n");''',
    f'''            status: "error", error: String(err.message || err), trace: err.stack || "", {MARK}
            errorType: (err && typeof err.name === "string") ? err.name : undefined
          }}) + "\\n");''',
)
patch(
    "services/lambda_svc.py",
    '''            error_msg = result.get("error", "Unknown error")
            error_type = "Runtime.HandlerError"
            if _RIE_TIMEOUT_TEXT_RE.fullmatch(error_msg):''',
    '''            error_msg = result.get("error", "Unknown error")
            error_type = result.get("errorType") or "Runtime.HandlerError"  # landing-to-lake patch: errorType
            if _RIE_TIMEOUT_TEXT_RE.fullmatch(error_msg):''',
)
