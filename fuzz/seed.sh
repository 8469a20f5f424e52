#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's shared input corpus (../shared/corpus beside the repository):
# every target gets the files of the kinds it reads, the pipeline and the splitter get all of them.
# The copies under fuzz/corpus/ are not committed (see fuzz/.gitignore).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
shared="${SVCPATH_CORPUS:-$here/../../shared/corpus}"
if [ ! -d "$shared" ]; then
    echo "seed.sh: no corpus at $shared (set SVCPATH_CORPUS)" >&2
    exit 1
fi

# target name -> corpus sub-folders it is seeded from ("*" for all)
seed() {
    local target="$1"
    shift
    local dest="$here/corpus/$target"
    mkdir -p "$dest"
    for kind in "$@"; do
        if [ "$kind" = "*" ]; then
            find "$shared" -type f -name '*.txt' -exec cp -f {} "$dest/" \;
        elif [ -d "$shared/$kind" ]; then
            find "$shared/$kind" -type f -name '*.txt' -exec cp -f {} "$dest/" \;
        fi
    done
    echo "seed.sh: $target: $(find "$dest" -type f | wc -l) inputs"
}

seed iptables iptables
seed iptables_roundtrip iptables
seed split '*'
seed pipeline '*'
seed ipvs ipvs
seed ipset ipset
seed nft nft
seed sysctl sysctl
seed conntrack conntrack
seed kernlog conntrack sysctl
# nft JSON: the fixtures of real `nft -j list ruleset` output kept in the repository.
mkdir -p "$here/corpus/nft_json"
cp -f "$here"/../crates/syntax/tests/fixtures/nft-json/*.json "$here/corpus/nft_json/"
echo "seed.sh: nft_json: $(find "$here/corpus/nft_json" -type f | wc -l) inputs"
seed kube_proxy_log conntrack sysctl
# and the kube-proxy logs kept with the repository's tests
cp -f "$here"/../tests/fixtures/kube-proxy-log/*.txt "$here/corpus/kube_proxy_log/" 2>/dev/null || true
echo "seed.sh: kube_proxy_log: $(find "$here/corpus/kube_proxy_log" -type f | wc -l) inputs (with the fixtures)"
# kubectl's API objects (JSON and YAML) kept with the repository's tests
mkdir -p "$here/corpus/kube_api"
find "$here"/../tests/fixtures/kube-api -type f \( -name '*.json' -o -name '*.yaml' \) | while read -r f; do
    cp -f "$f" "$here/corpus/kube_api/$(basename "$(dirname "$f")")-$(basename "$f")"
done
echo "seed.sh: kube_api: $(find "$here/corpus/kube_api" -type f | wc -l) inputs"
