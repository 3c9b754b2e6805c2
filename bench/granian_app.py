"""The IdP as `idp serve` starts it, but for granian instead of gunicorn (bench/run.py --server granian,
issue 20 part 2: a measurement of the server alone; `idp serve` itself is unchanged).

    granian --interface wsgi --factory --working-dir bench --workers 1 --blocking-threads N granian_app:create_app

granian calls create_app() in its worker process. It repeats `idp serve`'s start-up steps (idp/cli.py
`serve` and idp/gunicorn_conf.py) that matter for a like-for-like measurement: the logging set-up and the
metrics' multiprocess directory (importing idp.gunicorn_conf does both), production configuration
validated, one database connection per thread plus one, the signing key ensured, and gc.freeze() of what
start-up made (gunicorn_conf's post_worker_init). They are repeated here rather than imported because
`idp serve` runs them inside click and gunicorn hooks that granian does not call.
"""

from __future__ import annotations

import gc
import os


def create_app():
    import idp.gunicorn_conf  # noqa: F401  first, as in `idp serve`: logging and metrics set-up
    from idp.app import create_app as build
    from idp.cli import load_config, load_services
    from idp.services import with_dev_secrets

    threads = int(os.environ.get("GRANIAN_BLOCKING_THREADS", "1"))
    overrides = {} if "DB_POOL_SIZE" in os.environ else {"db_pool_size": threads + 1}
    config = load_config(production=os.environ.get("IDP_ENV", "production").lower() == "production", **overrides)
    if config.production:
        config.validate()
    config = with_dev_secrets(config)
    load_services(config).keys.ensure_signing_key()
    app = build(config)
    gc.freeze()
    return app
