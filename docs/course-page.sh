#!/usr/bin/env bash
# Write the docs site's "Course" page to FILE: a \subpage for every chapter
# (chapters/NN-slug.md, label chNN, and its companion pages in
# chapters/more/) and every exercise (exercises/NN-slug/
# README.md, label exNN), in order. Generated at build time so that a new
# chapter or exercise is listed without anyone editing a list. FILE is rewritten only when its
# text changes, so an unchanged course does not re-run Doxygen.
#
#   usage: docs/course-page.sh FILE     (from the repository root)
set -euo pipefail
out=$1
mkdir -p "$(dirname "$out")"
tmp=$out.tmp.$$

shopt -s nullglob
chapters=(chapters/[0-9][0-9]-*.md)
exercises=(exercises/[0-9][0-9]-*/README.md)
{
    echo '# Course {#course}'
    echo
    echo 'Read the chapters in order: each one explains a stage of the server,'
    echo 'quotes its code, shows it in the simulator, measures it, and ends with'
    echo 'an exercise and a link to the next chapter.'
    echo
    # Plain paragraphs, not headings: headings would be listed in the
    # navigation tree beside the pages themselves.
    echo '**The chapters**'
    echo
    for f in "${chapters[@]}"; do
        n=$(basename "$f")
        echo "- \\subpage ch${n%%-*}"
        # The chapter's companion pages, chapters/more/NN-slug.md (labels
        # from docs/md-filter), under it.
        for m in chapters/more/"${n%%-*}"-*.md; do
            [ -e "$m" ] || continue
            slug=$(basename "$m" .md)
            slug=${slug#*-}
            echo "  - \\subpage more${n%%-*}_${slug//-/_}"
        done
    done
    echo
    echo '**The exercises** (\ref exercises "how they are graded")'
    echo
    if [ -f exercises/README.md ]; then
        echo '- \subpage exercises'
    fi
    for f in "${exercises[@]}"; do
        n=$(basename "$(dirname "$f")")
        echo "- \\subpage ex${n%%-*}"
    done
} >"$tmp"

if cmp -s "$tmp" "$out"; then
    rm -f "$tmp"
else
    mv -f "$tmp" "$out"
fi
