#!/bin/bash
# The whole test suite: release build (unit tests, ONNX conformance),
# AddressSanitizer + UBSan + LeakSanitizer build (the same tests), and each
# loader's libFuzzer harness for FUZZ_SECONDS (default 60) from its seed
# corpus. Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
root=$PWD
fuzz_seconds=${FUZZ_SECONDS:-60}
jobs=$(nproc)

scripts/install-deps.sh || { echo "dependency installation failed"; exit 1; }

passed=0; failed=0; skipped=0
failures=()

count_tap () {   # name, log file, exit status of what wrote it
  local p f s
  p=$(grep -cE '^ok ' "$2"); f=$(grep -cE '^not ok ' "$2")
  s=$(grep -cE '^ok .*# SKIP' "$2")
  if grep -q '^Bail out!' "$2"; then f=$((f + 1)); fi
  # a run that died without saying so in TAP (a sanitizer's report ends
  # the process with status 1 between two tests) is a failure too; 77 is
  # a script's whole-file skip
  case ${3:-0} in 0|77) ;; *) [ "$f" -eq 0 ] && f=1 ;; esac
  passed=$((passed + p - s)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$f" -gt 0 ] && failures+=("$1")
  echo "  $1: $((p - s)) passed, $f failed, $s skipped"
}

build () {       # dir, meson options...
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" > "$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" -j "$jobs" > "$dir.build.log" 2>&1 || { tail -50 "$dir.build.log"; return 1; }
}

run_unit_and_conformance () {   # build dir, label
  local dir=$1 label=$2 t log
  export OVI_TEST_MODELS=$root/$dir/tests
  for t in "$dir"/tests/test-*; do
    [ -f "$t" ] && [ -x "$t" ] || continue
    log=$(mktemp)
    "$t" --tap > "$log" 2>&1
    # taken at once: the $(basename) below would reset $? to its own 0
    status=$?
    count_tap "$label/$(basename "$t")" "$log" $status
    grep -E '^not ok|^Bail out|ERROR|runtime error' "$log" | head -20
    rm -f "$log"
  done
  run_conformance "$dir" "$label/conformance"
}

run_conformance () {   # build dir, label, ovi-conformance options...
  local dir=$1 label=$2 log line start; shift 2
  log=$(mktemp)
  start=$SECONDS
  "$dir"/tools/ovi-conformance "$@" > "$log" 2>&1
  line=$(tail -1 "$log")
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
    skipped=$((skipped + BASH_REMATCH[3]))
    [ "${BASH_REMATCH[2]}" -gt 0 ] && failures+=("$label")
    grep -E '^(suite|FAIL)' "$log"
  else
    failed=$((failed + 1)); failures+=("$label (no summary)")
    tail -20 "$log"
  fi
  echo "  $label: $line ($((SECONDS - start)) s)"
  rm -f "$log"
}

echo "== release build"
if build build-test -Dbuildtype=release; then
  run_unit_and_conformance build-test release
else
  failed=$((failed + 1)); failures+=("release build")
fi

echo "== the AVX2 kernels on an AVX-512 machine (OVI_CPU_ISA=avx2): kernel tests, test-engine, conformance"
if grep -qw avx512f /proc/cpuinfo && [ -x build-test/tests/test-blocked ]; then
  export OVI_TEST_MODELS=$root/build-test/tests
  for n in cpu-math winograd depthwise blocked sgemm engine; do
    log=$(mktemp)
    OVI_CPU_ISA=avx2 "build-test/tests/test-$n" --tap > "$log" 2>&1
    count_tap "avx2/test-$n" "$log" $?
    grep -E '^not ok|^Bail out|ERROR|runtime error' "$log" | head -20
    rm -f "$log"
  done
  OVI_CPU_ISA=avx2 run_conformance build-test avx2/conformance
else
  echo "  skipped: no AVX-512 here, the release tests above ran the AVX2 kernels"
fi

echo "== GPU device (OpenCL): the ONNX conformance suite on GPU.0 (pocl's CPU device in CI)"
if build-test/tools/ovi-run --list-devices 2>/dev/null | grep -q '^GPU\.0:'; then
  run_conformance build-test gpu/conformance --device GPU.0
else
  skipped=$((skipped + 1)); echo "  gpu/conformance: skipped, no OpenCL device"
fi

echo "== GPU kernels under oclgrind (an OpenCL simulator): out-of-bounds accesses and data races"
# Every kernel the op tests reach, checked access by access; a report
# fails the program even when its results were right. The generated
# models (/gpu/models) are left out: they take minutes there and use no
# kernel the op tests do not.
if command -v oclgrind > /dev/null && [ -x build-test/tests/test-gpu-ops ]; then
  export OVI_TEST_MODELS=$root/build-test/tests
  cache=$(mktemp -d)
  for t in test-gpu-ops test-gpu-typed test-image; do
    log=$(mktemp)
    start=$SECONDS
    OVI_OPENCL_CACHE_DIR=$cache oclgrind --data-races "build-test/tests/$t" \
      --tap -s /gpu/models > "$log" 2>&1
    status=$?
    if grep -qE 'Invalid (read|write)|data race|OCLGRIND FATAL|Uninitialized value' "$log"; then
      status=1
      grep -E -A6 'Invalid (read|write)|data race|OCLGRIND FATAL|Uninitialized value' "$log" | head -40
    fi
    count_tap "oclgrind/$t" "$log" $status
    echo "    ($((SECONDS - start)) s)"
    rm -f "$log"
  done
  rm -rf "$cache"
else
  skipped=$((skipped + 1)); echo "  oclgrind: skipped, not installed or no GPU tests built"
fi

echo "== OpenVINO IR v11: loader ops, ONNX -> IR -> outputs round trip"
for script in tests/ir/loader-ops.py tests/ir/roundtrip.py; do
  log=$(mktemp)
  /usr/bin/python3 "$script" --build build-test > "$log" 2>&1
  line=$(tail -1 "$log")
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
    skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
    [ "${BASH_REMATCH[2]}" -gt 0 ] && { failures+=("$script"); grep -E '^FAIL' "$log" | head -20; }
  else
    failed=$((failed + 1)); failures+=("$script"); tail -20 "$log"
  fi
  echo "  $script: $line"
  rm -f "$log"
done

echo "== agreement: torchvision CNNs (random weights) against PyTorch's outputs, ONNX and IR v11"
mkdir -p models/torchvision
agree_models=resnet50,mobilenet_v2,mobilenet_v3_large,efficientnet_b0,lraspp_mobilenet_v3_large,ssdlite320_mobilenet_v3_large_head
if [ -x build-test/tools/ovi-run ] && /usr/bin/python3 tools/models/export-torchvision.py models/torchvision \
    --models "$agree_models" > models/export.log 2>&1; then
  names=${agree_models//,/ }
  ok=1
  for n in $names; do
    build-test/tools/ovi-convert "models/torchvision/$n.onnx" "models/torchvision/$n.xml" || ok=0
  done
  for suffix in .onnx .xml; do
    log=$(mktemp)
    /usr/bin/python3 tests/agreement/check-models.py build-test/tools/ovi-run models/torchvision \
      --suffix "$suffix" $names > "$log" 2>&1
    cat "$log"
    line=$(tail -1 "$log")
    if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
      [ "${BASH_REMATCH[2]}" -gt 0 ] && failures+=("agreement$suffix")
    else
      failed=$((failed + 1)); failures+=("agreement$suffix")
    fi
    rm -f "$log"
  done
  [ $ok = 1 ] || { failed=$((failed + 1)); failures+=("ovi-convert"); }
else
  tail -20 models/export.log
  failed=$((failed + 1)); failures+=("torchvision export")
fi

echo "== face recognition: face-api's models converted, against face-api.js itself; ovi-gallery; ovi-faces"
count_tap_script () {   # name, command...
  local name=$1 log; shift
  log=$(mktemp)
  "$@" > "$log" 2>&1
  count_tap "$name" "$log" $?
  grep -E '^not ok' "$log" | head -20
  rm -f "$log"
}
count_tap_script ovi-gallery tests/tools/test-ovi-gallery.sh \
  build-test/tools/ovi-gallery/ovi-gallery build-test/tests build-test/elements
if scripts/fetch-face-models.sh > models/fetch-face-models.log 2>&1; then
  log=$(mktemp)
  GST_REGISTRY_1_0=$(mktemp -u) /usr/bin/python3 tests/faceapi/check-agreement.py build-test \
    models/faceapi models/faceapi/npm/package/demo tests/data/faceapi/reference.json > "$log" 2>&1
  cat "$log"
  line=$(tail -1 "$log")
  if [[ $line =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
    passed=$((passed + BASH_REMATCH[1])); failed=$((failed + BASH_REMATCH[2]))
    [ "${BASH_REMATCH[2]}" -gt 0 ] && failures+=("face-api agreement")
  else
    failed=$((failed + 1)); failures+=("face-api agreement")
  fi
  rm -f "$log"
  count_tap_script ovi-faces tests/faceapi/test-ovi-faces.sh build-test models/faceapi \
    models/faceapi/npm/package/demo
else
  tail -20 models/fetch-face-models.log
  failed=$((failed + 1)); failures+=("fetch-face-models")
fi

echo "== tokenizers: real vocabularies (npm llama-tokenizer-js, llama3-tokenizer-js, gpt-tokenizer) against the packages' own ids"
mkdir -p models/llm
if tools/llm/fetch-tokenizer-vocabs.sh > models/llm/fetch-tokenizer-vocabs.log 2>&1; then
  count_tap_script llm-tokenizer-real env OVI_TEST_MODELS="$root/build-test/tests" \
    OVI_LLM_VOCAB_DIR="$root/models/llm/vocab" build-test/tests/test-llm-tokenizer --tap -p /llm/tokenizer/real
else
  tail -20 models/llm/fetch-tokenizer-vocabs.log
  failed=$((failed + 1)); failures+=("fetch-tokenizer-vocabs")
fi

echo "== LLM runtime: greedy decoding against llama.cpp (npm node-llama-cpp) on the generated models"
count_tap_script llm-llama-cpp tests/llm/check-llama-cpp.sh build-test

echo "== pipelines: each pipelines/*.sh on the test models (exit 77: skipped)"
for script in pipelines/*.sh; do
  out=$(mktemp)
  GST_PLUGIN_PATH=$root/build-test/elements timeout 300 "$script" build-test/tests > "$out" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && [ -s "$out" ]; then
    passed=$((passed + 1)); echo "  $script: ok ($(wc -l < "$out") lines)"
  elif [ $rc -eq 77 ]; then
    skipped=$((skipped + 1)); echo "  $script: $(tail -1 "$out")"
  else
    failed=$((failed + 1)); failures+=("$script"); tail -20 "$out"
  fi
  rm -f "$out"
done

echo "== sanitizer build (address, undefined, leak)"
if build build-asan -Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Db_lundef=false; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  run_unit_and_conformance build-asan asan
  unset ASAN_OPTIONS UBSAN_OPTIONS
else
  failed=$((failed + 1)); failures+=("sanitizer build")
fi

echo "== fuzzing, ${fuzz_seconds}s per loader"
if CC=clang build build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Dbuildtype=debugoptimized -Db_lundef=false; then
  for f in build-fuzz/tests/fuzz/fuzz-*; do
    [ -f "$f" ] && [ -x "$f" ] || continue
    name=$(basename "$f")
    corpus=tests/fuzz/corpus-${name#fuzz-}
    dict=tests/fuzz/${name#fuzz-}.dict
    dict_arg=()
    [ -f "$dict" ] && dict_arg=(-dict="$dict")
    work=$(mktemp -d)
    cp -r "$corpus"/. "$work"/ 2>/dev/null
    if "$f" "${dict_arg[@]}" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 "$work" > "$work.log" 2>&1; then
      passed=$((passed + 1))
      echo "  $name: no crash in ${fuzz_seconds}s ($(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$work.log" | grep -oE '[0-9]+$') inputs)"
    else
      failed=$((failed + 1)); failures+=("$name")
      grep -E 'ERROR|SUMMARY|Test unit written' "$work.log" | head -10
    fi
    rm -rf "$work" "$work.log"
  done
else
  failed=$((failed + 1)); failures+=("fuzz build")
fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
