# The two front-door commands (see README): `make run` and `make test`.
.PHONY: run setup test test-postgres bench lint

run:
	bash scripts/run.sh

setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

bench:
	bash scripts/bench.sh
