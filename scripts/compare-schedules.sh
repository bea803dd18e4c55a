#!/usr/bin/env bash
# Reproduces the schedule comparison of Docs/LearningRate.md (Question 4.b ii): trains the
# default model with train-autograd once per schedule (10 epochs, seed 42, peak rate 0.1,
# everything else default), keeps each run's history.json, loss.svg and accuracy.svg in
# Docs/figures/schedules/<schedule>/, and prints the document's table from those histories.
#   scripts/compare-schedules.sh                     # constant, step, cosine, onecycle
#   scripts/compare-schedules.sh cosine linear       # any of train-autograd's --schedule values
# Each run trains in a directory of its own under a temporary folder first, so a run that
# fails or is interrupted leaves the committed figures as they were. Needs python3 for the table.
set -euo pipefail
cd "$(dirname "$0")/.."
schedules=("$@")
[ ${#schedules[@]} -gt 0 ] || schedules=(constant step cosine onecycle)
swift build -c release --product train-autograd >/dev/null
bin="$(swift build -c release --show-bin-path)/train-autograd"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for schedule in "${schedules[@]}"; do
    echo "training with --schedule $schedule" >&2
    "$bin" --schedule "$schedule" --output "$scratch/$schedule" >"$scratch/$schedule.log" \
        || { cat "$scratch/$schedule.log" >&2; exit 1; }
done
for schedule in "${schedules[@]}"; do
    mkdir -p "Docs/figures/schedules/$schedule"
    for file in history.json loss.svg accuracy.svg; do
        cp "$scratch/$schedule/$file" "Docs/figures/schedules/$schedule/$file.new"
        mv "Docs/figures/schedules/$schedule/$file.new" "Docs/figures/schedules/$schedule/$file"
    done
done
python3 - "${schedules[@]}" <<'EOF'
import json, sys
histories = {name: json.load(open(f"Docs/figures/schedules/{name}/history.json")) for name in sys.argv[1:]}
last = len(next(iter(histories.values()))["epochs"])
print(f"| schedule | best validation accuracy (epoch) | test accuracy | training loss, epoch {last} "
      f"| validation loss, epoch {last} |")
print("|---|---|---|---|---|")
for name, h in histories.items():
    best = h["epochs"][h["best_epoch"] - 1]
    final = h["epochs"][-1]
    print(f"| {name} | {best['val_accuracy']:.4f} ({h['best_epoch']}) | {h['test']['accuracy']:.4f} "
          f"| {final['train_loss']:.4f} | {final['val_loss']:.4f} |")
EOF
