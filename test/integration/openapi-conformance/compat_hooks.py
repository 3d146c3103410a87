"""Schemathesis hooks of the compatibility routes' run (SCHEMATHESIS_HOOKS=compat_hooks).

On those routes a 501 is a documented answer, not a failure: a path the other platform has and an
order backend deliberately does not serve (customer accounts, logins, sellers), answered in the
platform's error shape (docs/compatibility.md). Every other 5xx is a failure.
"""

import schemathesis


@schemathesis.check
def no_server_error_but_not_supported(ctx, response, case):
    status = response.status_code
    if status >= 500 and status != 501:
        raise AssertionError(f"{case.method} {case.formatted_path} answered {status}: {response.text[:300]}")
