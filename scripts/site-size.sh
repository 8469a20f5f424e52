#!/usr/bin/env bash
# Prints the built site's files with their raw and gzipped sizes, and the totals. Trunk's `.stage/` (a
# build under way) is not part of the site and is left out.
set -euo pipefail
dir="${1:-dist}"
total=0
total_gz=0
printf '%-44s %10s %10s\n' "file" "bytes" "gzipped"
while IFS= read -r -d '' f; do
  raw=$(stat -c %s "$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total=$((total + raw))
  total_gz=$((total_gz + gz))
  printf '%-44s %10d %10d\n' "${f#"$dir"/}" "$raw" "$gz"
done < <(find "$dir" -type f -not -path "$dir/.stage/*" -print0 | sort -z)
printf '%-44s %10d %10d\n' "total" "$total" "$total_gz"
