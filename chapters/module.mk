# The chapters on the docs site. `make docs` (the rule in the Makefile) reads
# DOCS_EXTRA_INPUT and DOCS_EXTRA_DEPS from here:
#   - the "Course" page, generated at build time by docs/course-page.sh: a
#     \subpage for every chapters/NN-*.md and exercises/NN-*/README.md, in
#     order, so a new one is listed without editing anything;
#   - the exercises' READMEs (their hints/ stay out: spoilers).
# The chapters themselves are found through docs/Doxyfile's INPUT, and read
# through docs/md-filter (FILTER_PATTERNS).
COURSE_PAGE      := $(BUILD)/docs/gen/course.md
DOCS_EXTRA_INPUT := $(COURSE_PAGE) $(wildcard exercises/README.md) \
                    $(sort $(wildcard exercises/[0-9][0-9]-*/README.md))
DOCS_EXTRA_DEPS  := $(COURSE_PAGE) docs/md-filter docs/fastservers.css \
                    $(wildcard docs/images/*.png)

# Runs on every make; rewrites the page only when the course changed. The
# filter is tried first: Doxygen takes a filter that fails for an empty file
# and says nothing, which would publish blank pages.
$(COURSE_PAGE): docs/course-page.sh FORCE_COURSE_PAGE
	$(Q)docs/md-filter README.md >/dev/null
	$(Q)docs/course-page.sh $@
FORCE_COURSE_PAGE:

# Code quotes and diagrams, written into the Markdown so that a chapter is
# whole on a forge (CONTRIBUTING.md, "Chapters"):
#   make snippets   re-writes each chapter's quoted code from the sources'
#                   [name] markers (scripts/snippets; a \snippet line or a
#                   \dot block left by a merge is converted too), then
#   make diagrams   renders docs/images/NN-name.dot into NN-name.png beside
#                   it (committed: a forge does not run Graphviz), and
#                   records the sources rendered in diagrams.sha256, which
#                   tests/docs checks (a .dot changed, its picture not).
.PHONY: snippets diagrams
snippets:
	$(Q)scripts/snippets
	$(Q)$(MAKE) --no-print-directory diagrams
DIAGRAMS := $(patsubst %.dot,%.png,$(wildcard docs/images/*.dot))
SHA_FILE := docs/images/diagrams.sha256
diagrams: $(DIAGRAMS)
	$(Q)sha256sum $(sort $(wildcard docs/images/*.dot)) > $(SHA_FILE).tmp
	$(Q)cmp -s $(SHA_FILE).tmp $(SHA_FILE) && rm -f $(SHA_FILE).tmp || \
	    mv -f $(SHA_FILE).tmp $(SHA_FILE)
docs/images/%.png: docs/images/%.dot
	@echo "  DOT     $@"
	$(Q)dot -Tpng -Gdpi=96 $< -o $@
