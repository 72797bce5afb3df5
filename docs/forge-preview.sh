#!/usr/bin/env bash
# Look at a page as a forge shows it: render FILE.md (and every page it
# links to, one level deep) as GitHub-flavoured Markdown with cmark-gfm
# into build/forge-preview/, with links between pages pointing at the rendered
# copies, and, with PNG, take a screenshot with headless Chromium,
# starting at the heading whose GitHub anchor is ANCHOR.
#
#   usage: docs/forge-preview.sh FILE.md [PNG [ANCHOR]]   (from the root)
#   e.g.   docs/forge-preview.sh chapters/04-accept-and-handoff.md \
#              build/forge-preview/ch04.png exercise
set -euo pipefail
src=$1 png=${2:-} anchor=${3:-}
out=${BUILD:-build}/forge-preview
command -v cmark-gfm >/dev/null || { echo "forge-preview: cmark-gfm is not installed: run 'make deps'" >&2; exit 1; }

# render MD: writes $out/MD.html, a whole page, .md links made .md.html.
render() {
    local md=$1 html=$out/$1.html
    mkdir -p "$(dirname "$html")"
    {
        echo '<!doctype html><meta charset="utf-8"><title>'"$md"'</title>'
        echo '<style>body{font:16px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;max-width:880px;margin:24px auto;padding:0 16px;color:#1f2328}'
        echo 'pre,code{font:13px/1.45 monospace;background:#f6f8fa}pre{padding:12px;overflow:auto}'
        echo 'table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 10px}'
        echo 'h1,h2{border-bottom:1px solid #d8dee4;padding-bottom:.3em}a{color:#0969da}</style>'
        echo '<article>'
        cmark-gfm --unsafe -e table -e autolink -e strikethrough -e tasklist "$md" |
            sed -E 's/(href="[^"#:]*\.md)(#[^"]*)?"/\1.html\2"/g'
        echo '</article>'
        # GitHub's heading anchors, so that #anchor links and ANCHOR work.
        echo '<script>for (const h of document.querySelectorAll("h1,h2,h3,h4")) h.id = h.textContent.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");'
        # Headless screenshots do not follow a scroll: with #anchor, drop what
        # comes before that heading instead (the preview is for looking).
        echo 'const t = location.hash && document.getElementById(location.hash.slice(1));'
        echo 'while (t && t.previousElementSibling) t.previousElementSibling.remove();</script>'
    } >"$html"
    echo "$html"
}

page=$(render "$src")
dir=$(dirname "$src")
# The pages it links to, so that following a link works in the preview.
grep -oE '\]\([^)#: ]+\.md' "$src" | sed 's/^](//' | sort -u | while read -r rel; do
    target=$(realpath -m --relative-to=. "$dir/$rel")
    [ -f "$target" ] && render "$target" >/dev/null
done

if [ -n "$png" ]; then
    chromium=$(command -v chromium || command -v chromium-browser) ||
        { echo "forge-preview: chromium is not installed: run 'make deps'" >&2; exit 1; }
    profile=$(mktemp -d "${TMPDIR:-/tmp}/forge-preview.XXXXXX")
    trap 'rm -rf "$profile"' EXIT
    timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$profile" --window-size=1280,1000 --virtual-time-budget=3000 \
        --screenshot="$png" "file://$(realpath "$page")${anchor:+#$anchor}" 2>/dev/null
    echo "$png"
fi
