"""The security regression set of issue 30: every defect of that review, and its look-alikes, has a
test here named after the behaviour and the clause it breaks, run on both backends.

test_fuzz_endpoints.py and test_fuzz_pages.py are the fuzz pass over the OAuth/OIDC endpoints'
parameters and the hosted pages' forms (fuzz.py: the hostile values and the checks; fuzz_targets.py:
the credentials they are sent with). Its invariants, for every response
to anything sent: no 5xx; no traceback or exception text in the body; no unescaped echo of input
(a marker sent inside markup, quotes and `javascript:` URLs never appears raw in an HTML body, and
reaches a response header only re-serialised, percent-encoded in a Location); and the run log gains
no traceback. tests/test_openapi.py applies the same checks to its schemathesis run.
"""
