#!/bin/bash
# ovi-gallery end to end: add from photos (stand-in face models from
# make-face-models.py: bright discs are faces, the descriptor follows the
# color), list, rename, remove, export, import, exit codes for bad input,
# a corrupt and a locked database, and ovidentify naming the photos.
# Usage: test-ovi-gallery.sh OVI_GALLERY FACE_MODEL_DIR PLUGIN_DIR
set -u
BIN=$1 MODELS=$2
export GST_PLUGIN_PATH=$3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export GST_REGISTRY_1_0=$TMP/registry.bin
n=0 failed=0

check() {  # check NAME EXPECTED_RC ACTUAL_RC [OUTPUT PATTERN]
  n=$((n + 1))
  if [ "$2" != "$3" ]; then
    echo "not ok $n - $1: exit $3, expected $2"; failed=$((failed + 1))
  elif [ $# -ge 5 ] && ! grep -q -- "$5" <<<"$4"; then
    echo "not ok $n - $1: output lacks '$5': $4"; failed=$((failed + 1))
  else
    echo "ok $n - $1"
  fi
}

g() { "$BIN" --db "$TMP/g.db" --models "$MODELS" "$@" 2>&1; }

photo() {  # photo FILE PATTERN [COLOR]
  gst-launch-1.0 -q videotestsrc pattern="$2" ${3:+foreground-color=$3} \
    background-color=0xff000000 num-buffers=1 \
    ! video/x-raw,width=320,height=240 ! pngenc ! filesink location="$1"
}
photo "$TMP/yellow.png" ball 0xffffff40
photo "$TMP/cyan.png" ball 0xff40ffff
photo "$TMP/white.png" ball
photo "$TMP/empty.png" black
echo "not an image" > "$TMP/garbage.png"

out=$("$BIN" 2>&1); check "no arguments is usage" 2 $? "$out" "no command"
out=$(g frobnicate); check "unknown command" 2 $? "$out" "unknown command"
out=$("$BIN" list 2>&1); check "--db required" 2 $? "$out" "--db"
out=$(g rename A); check "rename needs two names" 2 $? "$out" "wrong number"
out=$(g list); check "list: missing database" 1 $? "$out" "no such file"

out=$(g add Yellow "$TMP/yellow.png"); check "add one photo" 0 $? "$out" "added 1 face"
out=$(g add Cyan "$TMP/cyan.png" "$TMP/white.png"); check "add two photos" 0 $? "$out" "added 2 faces"
out=$(g list); check "list" 0 $? "$out" "Cyan	2"
[ "$out" = $'Cyan\t2\nYellow\t1' ]; check "list is exact" 0 $? "$out"
out=$(g add Nobody "$TMP/yellow.png" "$TMP/empty.png")
check "a photo without a face" 1 $? "$out" "empty.png: no face found"
out=$(g add Nobody "$TMP/garbage.png"); check "an undecodable photo" 1 $? "$out" "garbage.png: cannot be read"
out=$(g add Nobody "$TMP/missing.png"); check "a missing photo" 1 $? "$out" "missing.png: no such file"
out=$(g list); [ "$out" = $'Cyan\t2\nYellow\t1' ]; check "failed adds added nothing" 0 $? "$out"
out=$("$BIN" --db "$TMP/g.db" --models "$TMP/nomodels" add X "$TMP/white.png" 2>&1)
check "missing models are named" 1 $? "$out" "nomodels/ssd_mobilenetv1.onnx not found"

out=$(g rename Yellow Gold); check "rename" 0 $? "$out"
out=$(g rename Gold Cyan); check "rename to a taken name" 1 $? "$out" "already exists"
out=$(g rename Nobody X); check "rename an unknown person" 1 $? "$out" "no person named"

# ovidentify names each photo's face from the gallery.
for pair in yellow:Gold cyan:Cyan; do
  out=$(gst-launch-1.0 -q filesrc location="$TMP/${pair%%:*}.png" ! decodebin ! videoconvert \
    ! ovdetect model="$MODELS/ssd_mobilenetv1.onnx" model-proc="$MODELS/ssd_mobilenetv1.json" \
    ! ovclassify model="$MODELS/face_recognition.onnx" model-proc="$MODELS/face_recognition.json" \
    ! ovidentify gallery="$TMP/g.db" threshold=0.05 ! ovmetaconvert ! ovmetapublish ! fakesink 2>&1)
  check "ovidentify names ${pair%%:*}" 0 $? "$out" "\"identity\":{\"label\":\"${pair##*:}\""
done

out=$(g export "$TMP/g.json"); check "export" 0 $? "$out"
out=$("$BIN" --db "$TMP/copy.db" import "$TMP/g.json" 2>&1); check "import" 0 $? "$out" "imported 3 faces"
out=$("$BIN" --db "$TMP/copy.db" import "$TMP/g.json" 2>&1); check "import again adds nothing" 0 $? "$out" "imported 0 faces"
a=$(g list); b=$("$BIN" --db "$TMP/copy.db" list 2>&1)
[ "$a" = "$b" ]; check "the copy lists the same" 0 $? "$b"
"$BIN" --db "$TMP/copy.db" export "$TMP/copy.json"
cmp -s "$TMP/g.json" "$TMP/copy.json"; check "export of the copy is identical" 0 $?
echo '{"format": "ovi-gallery", "persons": [{"name": 3}]}' > "$TMP/bad.json"
out=$(g import "$TMP/bad.json"); check "import a malformed file" 1 $? "$out" "persons\[0\].name"

out=$(g remove Cyan); check "remove" 0 $? "$out"
out=$(g remove Cyan); check "remove again" 1 $? "$out" "no person named"
out=$(g list); [ "$out" = $'Gold\t1' ]; check "list after remove" 0 $? "$out"

# Another process holding the write lock: "locked", exit 4, after the timeout.
/usr/bin/python3 - "$TMP/g.db" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("INSERT INTO persons (name, created) VALUES ('Zed', 0)")
open(sys.argv[1] + ".held", "w").close()
time.sleep(3)
c.execute("ROLLBACK")
PY
holder=$!
for _ in $(seq 50); do [ -e "$TMP/g.db.held" ] && break; sleep 0.1; done
out=$("$BIN" --db "$TMP/g.db" --busy-timeout 200 rename Gold Silver 2>&1)
check "locked database" 4 $? "$out" "locked by another process"
out=$(g list); check "readers still read while locked" 0 $? "$out" "Gold"
wait $holder

cp "$TMP/g.db" "$TMP/bad.db"
printf 'garbage garbage garbage garbage garbage garbage garbage garbage garbage' \
  | dd of="$TMP/bad.db" conv=notrunc status=none
out=$("$BIN" --db "$TMP/bad.db" list 2>&1); check "corrupt database" 3 $? "$out" "database is corrupt"

echo "1..$n"
[ $failed -eq 0 ]
