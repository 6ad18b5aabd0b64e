#!/usr/bin/env bash
# Resolve the translation catalogues after merging a branch (both sides added messages, so git conflicts on them):
# keep ours, regenerate from the merged code, then fill every empty translation from either side's catalogue.
#   git merge OTHER            # conflicts in src/kehu/locale/...
#   scripts/merge_catalogues.sh OTHER
#   git add src/kehu/locale && git commit
# Needs GNU gettext (msgattrib, msgcat, msgmerge) and the project's .venv.
set -euo pipefail
ref=${1:?usage: scripts/merge_catalogues.sh OTHER_REF}
root=$(git rev-parse --show-toplevel)
cd "$root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for lang in zh_Hans en; do
  po=src/kehu/locale/$lang/LC_MESSAGES/django.po
  git show "HEAD:$po" > "$tmp/ours-$lang.po"
  git show "$ref:$po" > "$tmp/theirs-$lang.po" 2>/dev/null || cp "$tmp/ours-$lang.po" "$tmp/theirs-$lang.po"
  cp "$tmp/ours-$lang.po" "$po"
done
(cd src/kehu && KEHU_DEBUG=1 ../../.venv/bin/kehu makemessages -l zh_Hans -l en --no-obsolete >/dev/null)
for lang in zh_Hans en; do
  po=src/kehu/locale/$lang/LC_MESSAGES/django.po
  for side in ours theirs; do
    msgattrib --translated --no-fuzzy --no-obsolete -o "$tmp/$side-$lang.done.po" "$tmp/$side-$lang.po" || true
  done
  msgattrib --translated --no-fuzzy --no-obsolete -o "$tmp/now-$lang.done.po" "$po" || true
  inputs=()
  for f in "$tmp/now-$lang.done.po" "$tmp/ours-$lang.done.po" "$tmp/theirs-$lang.done.po"; do
    [ -s "$f" ] && inputs+=("$f")
  done
  if [ ${#inputs[@]} -gt 0 ]; then
    msgcat --use-first -o "$tmp/compendium-$lang.po" "${inputs[@]}"
    msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged-$lang.po" "$tmp/compendium-$lang.po" "$po"
    cp "$tmp/merged-$lang.po" "$po"
  fi
done
(cd src/kehu && KEHU_DEBUG=1 ../../.venv/bin/kehu compilemessages >/dev/null)
.venv/bin/python scripts/check_messages.py
