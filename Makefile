# PatchLab: `make run` serves the app, `make test` runs every test.
# Both create the virtual environment and install what is needed first.

PYTHON  ?= python3
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PORT    ?= 8501
REPLICAS ?= 2

.PHONY: run room test test-fast bench evaluate train loadtest mutate chromium haproxy redis cjk-font catalogue messages clean help

help:
	@echo "make run       start the app at http://localhost:$(PORT) (and print the instructor's link to the Room page)"
	@echo "make room      REPLICAS=N app processes behind haproxy at http://localhost:$(PORT), sharing the room in Redis"
	@echo "make test      the whole test suite (unit, property, page, browser)"
	@echo "make bench     speed benchmarks (tables + JSON under bench/)"
	@echo "make evaluate  evaluate the shipped models (JSON beside them)"
	@echo "make train     retrain every shipped model (seeded)"
	@echo "make loadtest  20 simultaneous browser sessions against one server (ROOM=N: through a room of N)"
	@echo "make mutate    mutation testing of the engine, fusion, canvas mappings, image reading (over an hour)"
	@echo "make messages  extract the app's sentences and update locales/*/LC_MESSAGES/patchlab.po (docs/i18n.md)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e . \
	  || $(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	@touch $(STAMP)

# MALLOC_ARENA_MAX: one server process, a thread per participant; see src/patchlab/memory.py
# The room lives in this process (no Redis); the instructor's link carries the key (docs/room.md).
run: $(STAMP) catalogue cjk-font
	@$(PY) -m patchlab.room.instructor --link http://localhost:$(PORT)
	MALLOC_ARENA_MAX=$${MALLOC_ARENA_MAX:-2} $(VENV)/bin/streamlit run app.py --server.port $(PORT)

# A bigger room: REPLICAS app processes on loopback behind haproxy on PORT, with cookie affinity
# (scripts/room.py, deploy/haproxy.cfg.in, docs/scaling.md); the room's shared state in Redis on loopback
# (deploy/redis.conf.in, docs/room.md). Ctrl-C stops everything it started and deletes the room's data.
room: $(STAMP) catalogue cjk-font haproxy redis
	$(PY) scripts/room.py --replicas $(REPLICAS) --port $(PORT)

# Debian's haproxy for `make room` and its test (installed when missing and root, like Chromium).
haproxy:
	@if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's haproxy for make room..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; \
	else \
	  echo "haproxy is missing: install Debian's 'haproxy' package (make room needs it; its test is skipped)."; \
	fi

# Debian's redis-server for `make room` (the room's shared state) and the store's tests (installed like haproxy).
redis:
	@if command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's redis-server for make room..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	else \
	  echo "redis-server is missing: install Debian's 'redis-server' package (make room needs it; its tests are skipped)."; \
	fi

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "Chromium is missing: install Debian's 'chromium' package (browser tests will be skipped)."; \
	fi

# Debian's WenQuanYi Micro Hei (5 MB) for Chinese text in figures and in the browser (installed like Chromium;
# fonts-noto-cjk does as well where it is installed; src/patchlab/fonts.py)
cjk-font:
	@if [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then :; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "Installing Debian's fonts-wqy-microhei for Chinese pages..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; \
	else \
	  echo "No Chinese font: install Debian's 'fonts-wqy-microhei' (Chinese figures would show empty boxes)."; \
	fi

# The message catalogues (Babel, pinned in requirements.txt; docs/i18n.md): `make messages` extracts every
# sentence of the app into locales/patchlab.pot and updates each locales/<lang>/LC_MESSAGES/patchlab.po
# (committed; translate the new entries there); `make catalogue` compiles them into .mo files (not committed).
PO := $(wildcard locales/*/LC_MESSAGES/patchlab.po)
catalogue: $(PO:.po=.mo)
locales/%/LC_MESSAGES/patchlab.mo: locales/%/LC_MESSAGES/patchlab.po $(STAMP)
	$(PY) -m patchlab.i18n $*

messages: $(STAMP)
	$(VENV)/bin/pybabel -q extract -F babel.cfg --no-location --sort-output --omit-header -o locales/patchlab.pot app.py pages src/patchlab
	$(VENV)/bin/pybabel -q update --no-fuzzy-matching --ignore-obsolete -D patchlab -i locales/patchlab.pot -d locales

# axe-core (package.json, pinned in package-lock.json) for the accessibility browser test
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund && touch $(AXE); \
	else echo "npm is missing: install Node.js and npm for the accessibility test (it is skipped, or fails in CI)."; fi

test: $(STAMP) catalogue cjk-font chromium haproxy redis $(AXE)
	$(PY) -m pytest -q --timeout=600 --durations=20

test-fast: $(STAMP) catalogue cjk-font
	$(PY) -m pytest -q -m "not browser and not slow"

bench: $(STAMP) redis
	@mkdir -p bench
	$(PY) benchmarks/bench_patches.py --json bench/patches.json
	$(PY) benchmarks/bench_page.py --json bench/page.json
	$(PY) benchmarks/bench_upsampling.py --json bench/upsampling.json
	$(PY) benchmarks/bench_classification.py --json bench/classification.json
	$(PY) benchmarks/bench_inpainting.py --json bench/inpainting.json
	$(PY) benchmarks/bench_inpainting_context.py --json bench/inpainting_context.json
	$(PY) benchmarks/bench_training_precision.py --json bench/training_precision.json
	$(PY) benchmarks/bench_room.py --json bench/room.json

# Evaluate the shipped models on their held-out data (tables printed, JSON beside the models)
evaluate: $(STAMP)
	$(PY) -m patchlab.classification.evaluate
	$(PY) -m patchlab.inpainting.evaluate

# Retrain every shipped model from scratch, from the recipes in src/patchlab/*/recipe.py (seeded; about 7 h 30 min on
# 2 CPU cores; fetches OpenCV's source package with pip and four Debian packages with apt-get, once)
train: $(STAMP)
	$(PY) -m patchlab.classification.recipe --run
	$(PY) -m patchlab.inpainting.recipe inpainting
	$(PY) -m patchlab.inpainting.recipe inpainting_seed

# 20 participants in headless Chromium against one server on loopback (bounded; see tests/loadtest.py).
# ROOM=N: the same workshop twice through a room of N replicas behind haproxy, without and with the room's
# features (Room page open, every participant following, a presenter stepping five scenes; tests/room_load.py,
# docs/scaling.md); ROUNDS=R repeats the pair (without, with; with, without; ...);
# ROOM=N FAULT=1: replica r1 is killed half-way through (tests/room_fault.py).
# TRAINING=1: one participant trains a classifier on the Train page all along;
# TRAIN_ALL=1: every participant trains a short run and leaves (server memory before, at peak, after).
# DOMAIN_TRAINING=1: one participant teaches the inpainter a domain (10 min) while SESSIONS (10) do the workshop.
loadtest: $(STAMP) chromium $(if $(ROOM),haproxy redis)
	@mkdir -p bench
ifneq ($(DOMAIN_TRAINING),)
	$(PY) tests/domain_trainer.py --loadtest $${SESSIONS:-10} --json bench/loadtest-domain-training.json
else ifeq ($(ROOM),)
	$(PY) tests/loadtest.py --sessions $${SESSIONS:-20} $(if $(TRAINING),--training) $(if $(TRAIN_ALL),--train-all) \
	  --json bench/loadtest$(if $(TRAINING),-training)$(if $(TRAIN_ALL),-train-all).json
else ifeq ($(FAULT),)
	$(PY) scripts/room.py --replicas $(ROOM) --port 0 --address 127.0.0.1 --state run/room-loadtest --warm -- \
	  $(PY) tests/room_load.py --url {url} --state run/room-loadtest --sessions $${SESSIONS:-20} \
	  $(if $(ROUNDS),--rounds $(ROUNDS)) --json bench/loadtest-room$(ROOM).json
else
	$(PY) scripts/room.py --replicas $(ROOM) --port 0 --address 127.0.0.1 --state run/room-fault --warm -- \
	  $(PY) tests/room_fault.py --url {url} --state run/room-fault --sessions $${SESSIONS:-20} \
	  --json bench/room-fault$(ROOM).json
endif

# Mutation testing (mutmut, pinned in requirements-mutate.txt; not part of `make test`: over an hour on 2 cores)
mutate: $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-mutate.txt
	@mkdir -p bench
	$(PY) scripts/mutate.py --json bench/mutation.json

clean:
	rm -rf mutants $(VENV) .pytest_cache .hypothesis tests/artifacts bench node_modules run
