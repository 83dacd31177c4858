#!/usr/bin/env bash
# The command line as a newcomer meets it (docs/architecture.md, README "The pipeline"):
#  1. usage errors say which argument is missing, suggest the nearest verb, option or environment,
#     and exit 2 (an unknown environment too); eval's usage line lists --threads;
#  2. outputs are checked before the work: a missing parent directory is created (train, eval,
#     sample, collect), a parent that cannot be created fails at once, before any training;
#  3. the run configs the README and `eval --help` name exist, and each (point, cartpole, pixels)
#     runs through the README's pipeline (collect -> train --epochs 1 -> eval --episodes --steps),
#     eval printing plain progress lines when piped and a one-line summary;
#  4. temporaries that a killed process left next to an output are removed by the next command,
#     those of a live process are kept;
#  5. `sgp check` of a dataset whose manifest lost its statistics is an error naming the field, not
#     a crash;
#  6. `sgp train --reuse` keeps a model that is the one asked for, and trains again (saying why)
#     when it was trained with another config, data, thread count or kind or its weights are
#     corrupt; eval refuses a corrupt model; results record the SHA-256 of their models' tensors.
set -euo pipefail
SRC=$(realpath "${SGP_SOURCE_DIR:-.}")
source "$(dirname "${BASH_SOURCE[0]}")/shell_lib.sh"
e2e_init
# expect STATUS PATTERN cmd...: the command exits with STATUS and its stderr contains PATTERN
expect() {
  local want=$1 pat=$2
  shift 2
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  [[ $rc == "$want" ]] || fail "$* exited $rc, want $want: $(cat err.txt)"
  grep -qF -- "$pat" err.txt || fail "$*: stderr lacks '$pat': $(cat err.txt)"
  echo "ok   $* -> $(head -n1 err.txt)"
}

# ---- 1. usage errors
echo '{"type": "box", "n": 2000}' > spec.json
expect 2 "unknown verb 'colect' (did you mean 'collect'?)" "$SGP" colect
expect 2 "unknown environment 'pont' (did you mean 'point'?)" "$SGP" collect pont --spec spec.json --seed 0 --out d
expect 2 "unknown environment 'cartpol' (did you mean 'cartpole'?)" "$SGP" view cartpol
expect 2 "missing --seed" "$SGP" collect point --spec spec.json --out d
expect 2 "missing ENV" "$SGP" collect --spec spec.json --seed 0 --out d
expect 2 "missing PATH" "$SGP" check
expect 2 "missing KIND" "$SGP" train --data d --config c --out o
expect 2 "missing --out" "$SGP" eval --config c.json
expect 2 "missing B/table.json" "$SGP" compare a.json
expect 2 "unknown option '--seeds' (did you mean '--seed'?)" "$SGP" collect point --spec spec.json --seeds 0 --out d
expect 2 "missing --out" "$SGP" import d4rl f.hdf5 --env point
expect 2 "unknown environment 'pont' (did you mean 'point'?)" "$SGP" import d4rl f.hdf5 --env pont --out d
expect 2 "missing --config" "$SGP" train policy hopper --out o
expect 2 "unknown environment 'hoper' (did you mean 'hopper'?)" "$SGP" train policy hoper --config c.json --out o
"$SGP" eval --help | head -n1 | grep -q -- "--threads" || fail "eval's usage line lacks --threads"
"$SGP" train --help | grep -q "depend on the thread count" || fail "train --help does not explain its --threads default"

# ---- 2. outputs checked before the work
"$SGP" collect point --spec spec.json --seed 1 --out new/deep/data --quiet >/dev/null
[[ -f new/deep/data/manifest.json ]] || fail "collect did not create the parent of --out"
cat > dyn.json <<'EOF'
{"net": {"hidden": [16]}, "train": {"epochs": 500, "batch": 256}}
EOF
touch afile
rc=0
"$SGP" train dynamics --data new/deep/data --config dyn.json --out afile/m.safetensors --quiet >out.txt 2>err.txt || rc=$?
[[ $rc == 1 ]] || fail "train into afile/ exited $rc"
grep -q "afile/m.safetensors: afile: cannot create directory" err.txt || fail "train: $(cat err.txt)"
grep -q "epochs" out.txt && fail "train trained before finding that afile/ cannot hold its output"
echo "ok   train --out afile/m.safetensors fails before training: $(cat err.txt)"
# import and train policy check their output before reading or training anything
mkdir taken
expect 1 "taken: already exists (use --force to replace it)" "$SGP" import d4rl missing.hdf5 --env point --out taken
expect 1 "afile/p: afile: cannot create directory" "$SGP" import d4rl missing.hdf5 --env point --out afile/p
expect 1 "afile/p: afile: cannot create directory" "$SGP" train policy hopper --config missing.json --out afile/p
ln -s taken plink
expect 1 "plink: is a symbolic link; not writing through it" "$SGP" train policy hopper --config missing.json --out plink
mkdir adir.safetensors
expect 1 "adir.safetensors: cannot write: Is a directory" "$SGP" train dynamics --data new/deep/data --config dyn.json --out adir.safetensors
"$SGP" train dynamics --data new/deep/data --config dyn.json --out m/sub/dyn.safetensors --epochs 1 --quiet >out.txt
[[ -f m/sub/dyn.safetensors ]] || fail "train did not create the parent of --out"
grep -q "1 epochs" out.txt || fail "--epochs 1 not applied: $(cat out.txt)"

# ---- 3. the shipped run configs, through the README's pipeline
grep -o 'bench/runs/[a-z_]*\.json' "$SRC/README.md" <("$SGP" eval --help) | sort -u | while read -r f; do
  [[ -f "$SRC/${f#*:}" ]] || fail "${f%%:*} names ${f#*:}, which does not exist"
done
for env in point cartpole pixels; do
  spec=$SRC/datasets/specs/${env}_box.json
  score=$SRC/agents/configs/score_point.json
  [[ $env == cartpole ]] && score=$SRC/agents/configs/score_cartpole.json
  [[ -f $SRC/bench/runs/${env}_sgp.json ]] || fail "no bench/runs/${env}_sgp.json"
  # the shipped spec with a small n, the env config of the run
  python3 - "$spec" "$SRC/bench/runs/${env}_sgp.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1])); s["n"] = 3000; json.dump(s, open("s.json", "w"))
r = json.load(open(sys.argv[2])); json.dump(r["env"].get("config", {}), open("cfg.json", "w"))
EOF
  "$SGP" collect $env --env-config cfg.json --spec s.json --seed 1 --out data/$env --quiet >/dev/null
  "$SGP" train score --data data/$env --config "$score" --out models/${env}_score.safetensors --epochs 1 --quiet >/dev/null
  "$SGP" train dynamics --data data/$env --config "$SRC/agents/configs/dynamics_default.json" \
    --out models/${env}_dyn.safetensors --epochs 1 --quiet >/dev/null
  # the shipped config as is, shortened on the command line; progress piped: plain lines
  "$SGP" eval --config "$SRC/bench/runs/${env}_sgp.json" --out res/$env.json --episodes 2 --steps 2 > sum.txt 2> prog.txt
  grep -q '"summary"' res/$env.json || fail "$env: no summary in the result"
  python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["config"]["eval"]; sys.exit(not (e["episodes"] == 2 and e["steps"] == 2))' res/$env.json ||
    fail "$env: --episodes/--steps not recorded in the result's config"
  grep -q "^sgp eval: 2 episode(s): mean return .*, normalised score .*, success .*% -> res/$env.json" sum.txt ||
    fail "$env: no one-line summary: $(cat sum.txt)"
  grep -q "^eval: episodes 1-2 of 2: step 1/2, mean return .* over 2 live, .* ms/step, .* s elapsed" prog.txt ||
    fail "$env: no per-step progress line when piped: $(cat prog.txt)"
  grep -q "^eval: episodes 1-2 of 2 done: mean return .*, success [0-2]/2, .* ms/step, .* s elapsed" prog.txt ||
    fail "$env: no batch progress line when piped: $(cat prog.txt)"
  grep -q $'\r' prog.txt && fail "$env: terminal control characters in piped progress"
  echo "ok   bench/runs/${env}_sgp.json runs (--episodes 2 --steps 2): $(cat sum.txt)"
done
cp "$SRC/bench/runs/point_sgp.json" run.json

# a rollout directory that is a link is not written through
mkdir victim && ln -s "$W/victim" rlink
expect 1 "rlink: is a symbolic link; not writing through it" "$SGP" eval --config run.json --out res/l.json --save-rollout rlink
[[ -z $(ls victim) ]] || fail "eval wrote into the target of a linked rollout directory"

# ---- 4. stale temporaries
host=$(hostname | tr -c 'A-Za-z0-9\n' '-' | cut -c1-32)
sh -c 'exit 0' & dead=$!
wait $dead
touch "res/point.json.tmp.$host.$dead.abcdefgh" "res/point.json.tmp.$host.$$.abcdefgh"
"$SGP" eval --config run.json --out res/again.json --steps 2 --episodes 1 --quiet > /dev/null
[[ -e "res/point.json.tmp.$host.$dead.abcdefgh" ]] && fail "a dead process's temporary was left"
[[ -e "res/point.json.tmp.$host.$$.abcdefgh" ]] || fail "a live process's temporary was removed"
echo "ok   stale temporary of dead pid $dead removed, live pid $$ kept"

# ---- 5. sgp check on a manifest without statistics
python3 - <<'EOF'
import json
m = json.load(open("data/point/manifest.json")); del m["stats"]
json.dump(m, open("data/point/manifest.json", "w"))
EOF
expect 1 "manifest.json: /stats: missing" "$SGP" check data/point
# ---- 6. train --reuse; the tensors' SHA-256 recorded in model files and results
# tsha.py FILE: the SHA-256 of the tensors computed here from the file's bytes (name, dtype, ndim,
# shape, data, in name order, as docs/file-formats.md specifies), and the one the file records
cat > tsha.py <<'EOF'
import hashlib, json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); meta = h.pop("__metadata__", {}); data = b[8 + n:]
s = hashlib.sha256()
for name in sorted(h, key=lambda k: k.encode()):
    t = h[name]
    s.update(name.encode() + b"\0" + t["dtype"].encode() + b"\0" + struct.pack("<q", len(t["shape"])))
    for d in t["shape"]:
        s.update(struct.pack("<q", d))
    s.update(data[t["data_offsets"][0]:t["data_offsets"][1]])
print(s.hexdigest(), meta.get("sgp.tensors_sha256"))
EOF
same_sha() {
  local got rec
  read -r got rec < <(python3 tsha.py "$1")
  [[ $got == "$rec" ]] || fail "$1: tensors' hash $got, the file records $rec"
  echo "$got"
}
D=new/deep/data
"$SGP" train dynamics --data $D --config dyn.json --out r/m.safetensors --epochs 2 --quiet > out.txt
same_sha r/m.safetensors > /dev/null
cp r/m.safetensors first.safetensors
"$SGP" train dynamics --data $D --config dyn.json --out r/m.safetensors --epochs 2 --quiet --reuse > out.txt 2> err.txt
grep -q "r/m.safetensors already holds this model (reused)" out.txt || fail "reuse: $(cat out.txt err.txt)"
cmp -s r/m.safetensors first.safetensors || fail "--reuse rewrote an identical model"
cp -r $D moved
"$SGP" train dynamics --data moved --config dyn.json --out r/m.safetensors --epochs 2 --quiet --reuse > out.txt
grep -q "(reused)" out.txt || fail "the same data at another path was not reused: $(cat out.txt)"
echo "ok   train --reuse keeps the same model (also trained from the same data elsewhere)"
# reason PATTERN ARGS...: --reuse trains again, says why on stderr, and the new file's hash is right
reason() {
  local pat=$1
  shift
  "$SGP" train "$@" --out r/m.safetensors --quiet --reuse > out.txt 2> err.txt || fail "train $*: $(cat err.txt)"
  grep -qF "r/m.safetensors: $pat" err.txt || fail "train $* --reuse: $(cat err.txt)"
  grep -q "; training it again" err.txt || fail "train $* --reuse: $(cat err.txt)"
  grep -q "(reused)" out.txt && fail "train $* --reuse reused a different model"
  same_sha r/m.safetensors > /dev/null
  echo "ok   train $* --reuse trains again: $(cat err.txt)"
}
reason "/sgp.config: trained with another config" dynamics --data $D --config dyn.json --epochs 3
reason "/sgp.versions/blas_threads: trained with 1 threads, not 2" dynamics --data $D --config dyn.json --epochs 3 --threads 2
"$SGP" collect point --spec spec.json --seed 2 --out other --quiet > /dev/null
reason "/sgp.dataset: trained on other data" dynamics --data other --config dyn.json --epochs 3 --threads 2
reason "model kind is 'dynamics', expected 'score'" score --data other --config dyn.json --epochs 3 --threads 2
# one flipped bit in the weights: the model is corrupt, named, never used, and rebuilt by --reuse
cp first.safetensors corrupt.safetensors
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-3] ^= 1; open(sys.argv[1], "wb").write(b)' \
  corrupt.safetensors
cp corrupt.safetensors r/m.safetensors
reason "corrupt: the tensors' SHA-256 is" dynamics --data $D --config dyn.json --epochs 2
cmp -s r/m.safetensors corrupt.safetensors && fail "the corrupt model was kept"
python3 -c 'import json; r = json.load(open("run.json")); r["models"]["dynamics"] = "corrupt.safetensors"; r["dataset"] = "new/deep/data"
json.dump(r, open("bad_run.json", "w"))'
expect 1 "corrupt.safetensors: corrupt: the tensors' SHA-256 is" "$SGP" eval --config bad_run.json --out res/bad.json --steps 2 --episodes 1
[[ -e res/bad.json ]] && fail "eval wrote a result from a corrupt model"
# the result records the hash of every model it loaded
python3 -c 'import json, sys; r = json.load(open(sys.argv[1]))
for k, v in sorted(r["models_sha256"].items()): print(k, r["config"]["models"][k], v)' res/again.json > want.txt
[[ -s want.txt ]] || fail "res/again.json records no models_sha256"
while read -r kind path sha; do
  [[ $(same_sha "$path") == "$sha" ]] || fail "models_sha256/$kind: $sha is not the hash of $path"
done < want.txt
echo "ok   models_sha256 of res/again.json: $(tr '\n' ' ' < want.txt)"
echo "e2e_cli: all checks passed"
