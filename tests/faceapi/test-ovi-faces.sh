#!/bin/bash
# ovi-faces end to end on face-api's demo photos and the converted models:
# indexing, skipping unchanged photos, re-indexing a changed one without
# duplicating rows, forgetting a deleted one, unreadable files recorded,
# an interrupted run resumed without loss or duplication, and identities
# after enrolling one person from one photo (found again in a mirrored,
# rescaled copy of that photo; nobody else named). TAP output.
#
#   test-ovi-faces.sh BUILD_DIR MODELS_DIR DEMO_DIR
set -u
build=$1 models=$2 demo=$3
faces=$build/apps/faces/ovi-faces
gallery=$build/tools/ovi-gallery/ovi-gallery
if [ ! -f "$models/ssd_mobilenetv1.onnx" ]; then
  echo "1..0 # SKIP no face models in $models (scripts/fetch-face-models.sh)"
  exit 0
fi
export GST_PLUGIN_PATH=$build/elements
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GST_REGISTRY_1_0=$tmp/registry.bin
db=$tmp/faces.db
lib=$tmp/library
n=0

check () {   # NAME COMMAND...: ok when the command succeeds
  local name=$1; shift
  n=$((n + 1))
  if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
}
# The summary line of `who`: "P photos, F faces, I identified, E unreadable".
summary () { "$faces" --db "$db" who | tail -1; }
index () { "$faces" --db "$db" --models "$models" -q index "$lib" 2>&1; }

mkdir -p "$lib/2018" "$lib/other"
cp "$demo"/sample1.jpg "$demo"/sample2.jpg "$demo"/sample3.jpg "$lib/"
cp "$demo"/sample4.jpg "$demo"/sample5.jpg "$demo"/sample6.jpg "$lib/2018/"
# A truncated JPEG still decodes (the missing part grey): a photo. A JPEG
# header followed by noise does not, nor does text: unreadable.
head -c 5000 "$demo/sample1.jpg" > "$lib/other/truncated.jpg"
(printf '\xff\xd8\xff\xe0'; head -c 3000 /dev/urandom) > "$lib/other/broken.jpg"
echo "not a photo" > "$lib/other/notes.jpg"

out=$(index)
check "first run indexes 9 files" test $? -eq 0
check "22 faces in the 7 photos, 2 unreadable" \
  test "$(summary)" = "7 photos, 22 faces, 0 identified, 2 unreadable"
check "unreadable files are recorded with a reason" \
  bash -c 'grep -q "notes.jpg: not a JPEG or PNG file" <<<"$1" &&
           grep -q "broken.jpg: cannot decode" <<<"$1"' _ "$("$faces" --db "$db" errors)"

out=$("$faces" --db "$db" --models "$models" index "$lib" 2>&1)
check "a second run skips every unchanged photo" grep -q "9 unchanged, 0 to index" <<<"$out"

touch -d "2020-01-01" "$lib/sample2.jpg"
out=$("$faces" --db "$db" --models "$models" index "$lib" 2>&1)
check "a changed photo is indexed again" grep -q "8 unchanged, 1 to index" <<<"$out"
check "...without duplicating its faces" \
  test "$(summary)" = "7 photos, 22 faces, 0 identified, 2 unreadable"

rm "$lib/sample3.jpg"
index > /dev/null
check "a deleted photo leaves the index" \
  test "$(summary)" = "6 photos, 19 faces, 0 identified, 2 unreadable"

# Interrupted: kill the indexer as soon as it has stored something, then
# resume; whenever the kill lands, the result must be complete and exact.
cp "$demo/sample3.jpg" "$lib/sample3.jpg"
rm -f "$db" "$db-wal" "$db-shm"
"$faces" --db "$db" --models "$models" index "$lib" > "$tmp/run.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
  grep -q "^[1-9][0-9]*/9 photos" "$tmp/run.log" 2>/dev/null && break
  sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
index > /dev/null
check "an interrupted run resumes without loss or duplication" \
  test "$(summary)" = "7 photos, 22 faces, 0 identified, 2 unreadable"

# Identity: enrol the largest face of sample1 (the woman on the right)
# from that photo alone; a mirrored, smaller copy of the photo is another
# appearance of her. Every other face must stay unknown.
gst-launch-1.0 -q filesrc location="$demo/sample1.jpg" ! jpegdec ! videoconvert ! \
  videoflip method=horizontal-flip ! videoscale ! video/x-raw,width=1280,height=854 ! \
  jpegenc quality=90 ! filesink location="$lib/other/sample1-mirrored.jpg"
"$gallery" --db "$db" --models "$models" add Anna "$demo/sample1.jpg" > /dev/null 2>&1
check "ovi-gallery enrols a person from one photo" test $? -eq 0
index > /dev/null
who=$("$faces" --db "$db" who)
check "she is named in her photo and in its mirrored copy, nobody else is" \
  test "$(grep -c "Anna" <<<"$who")" -eq 2
check "...in the right places" \
  bash -c 'grep -A3 "/sample1.jpg$" <<<"$1" | grep -q "Anna (distance 0.00) .* at 1476" &&
           grep -A3 "sample1-mirrored.jpg$" <<<"$1" | grep -q "Anna"' _ "$who"
check "summary counts the two" \
  test "$(summary)" = "8 photos, 25 faces, 2 identified, 2 unreadable"
echo "1..$n"
