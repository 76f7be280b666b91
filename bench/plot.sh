#!/usr/bin/env bash
# Draws the scale.sh reports (bench/results/cdpload-STORE-N.json): jobs/s,
# and peak and idle memory, against advertiser count, one line per store,
# into bench/results/throughput.png and bench/results/memory.png (gnuplot).
#
#   bench/plot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v gnuplot >/dev/null || apt-get install -y -qq gnuplot-nox jq >/dev/null
results=bench/results
data=$(mktemp -d /tmp/cdpbatch-plot.XXXXXX)
trap 'rm -rf "$data"' EXIT

# One line per store that has reports, in each plot.
speed=() peak=() idle=()
for store in sqlite postgresql; do
  for f in "$results"/cdpload-"$store"-*.json; do
    [[ -f $f ]] || continue
    jq -r '[.advertisers, .jobs_per_s, .peak_rss_mb,
            (.bytes_per_idle_advertiser * .advertisers / 1048576)] | @tsv' "$f"
  done | sort -n >"$data/$store.tsv"
  [[ -s $data/$store.tsv ]] || continue
  name=$([[ $store == sqlite ]] && echo SQLite || echo PostgreSQL)
  speed+=("\"$data/$store.tsv\" using 1:2 with linespoints lw 2 title \"$name\"")
  peak+=("\"$data/$store.tsv\" using 1:3 with linespoints lw 2 title \"$name, peak\"")
  idle+=("\"$data/$store.tsv\" using 1:4 with linespoints lw 2 dt 2 title \"$name, idle, above the start\"")
done
[[ ${#speed[@]} -gt 0 ]] || { echo "no reports in $results: run bench/scale.sh first" >&2; exit 1; }
join() { local IFS=,; echo "$*"; }

gnuplot <<GP
set terminal pngcairo size 900,540 font ",11"
set logscale x
set format x "%.0s%c"
set xlabel "advertisers (EXISTING, one 0 ms job each)"
set key top left
set grid
set output "$results/throughput.png"
set title "cdpload in process: jobs/s of the first wave"
set ylabel "jobs/s"
plot $(join "${speed[@]}")
set output "$results/memory.png"
set title "cdpload in process: resident memory"
set ylabel "MB"
plot $(join "${peak[@]}" "${idle[@]}")
GP
echo "$results/throughput.png $results/memory.png"
