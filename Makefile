# Two entry points that work on a fresh machine: `make demo` (the main job on the embedded default)
# and `make test`. Both create .venv on first use. torch and torchvision must be a matching pair:
# these are the CPU-capable pairs that install from this machine kind's local copies.
VENV ?= .venv
ARCH := $(shell uname -m)
ifeq ($(ARCH),aarch64)
TORCH_PAIR := torch==2.9.1 torchvision==0.24.1
else
TORCH_PAIR := torch==2.14.1 torchvision==0.29.1
endif

# A stale vscbench_task.egg-info in the checkout (from an older editable install) would shadow the
# installed entry points (lmms-eval's vscbench_steer model) for anything run with the checkout on sys.path.
$(VENV)/.installed: pyproject.toml
	rm -rf vscbench_task.egg-info
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q $(TORCH_PAIR)
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $@

.PHONY: install demo test test-fast lint browser
install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(VENV)/bin/vscbench demo

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The page tests drive a real headless browser: Debian's chromium and its chromedriver (one source package,
# so their versions match), installed when missing (as root, as on CI); without them those tests fail,
# never skip. Selenium is given the driver's path, so it downloads nothing.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	  else echo "the page tests need: sudo apt-get install -y --no-install-recommends chromium chromium-driver"; fi; \
	fi

# Both cores, one worker per test file (a file's module fixtures, such as its lmms-eval runs, are built once).
test: lint browser
	SE_AVOID_STATS=true SE_OFFLINE=true $(VENV)/bin/pytest -q -n 2 --dist loadfile

# The developer's fast lane: tests/unit over both cores. tests/e2e (the slow lane, marked e2e by its
# conftest) holds every host's command line, subprocesses, prepare on the whole stand-in, inspect's eval
# loop and the tiny-model builds.
test-fast: lint
	$(VENV)/bin/pytest -q tests/unit -n 2
