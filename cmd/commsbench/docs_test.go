package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// The README is the front page and the reference lives in docs/, one page
// per topic, linked from each other by file and heading. A renamed heading
// or a moved section breaks those links silently on GitHub; these tests
// break instead.

// repoRoot is where README.md and docs/ are, seen from this package.
const repoRoot = "../.."

// markdownFile is one parsed markdown file: its heading anchors and links.
type markdownFile struct {
	anchors map[string]bool
	links   []markdownLink
}

// markdownLink is one inline link or image, [text](target), outside code.
type markdownLink struct {
	line   int
	target string
}

var (
	// An ATX heading: one to six '#', a space, the text, optional closing '#'s.
	headingLine = regexp.MustCompile(`^#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	// The opening of a fenced code block, whose closing is the same run.
	fenceOpen = regexp.MustCompile("^(```+|~~~+)")
	// A code span; its content is neither a link nor part of one's target.
	codeSpan = regexp.MustCompile("`[^`]*`")
	// An inline link or image: [text](target) or [text](target "title").
	inlineLink = regexp.MustCompile(`!?\[([^\]]*)\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)`)
)

// githubSlug is the anchor GitHub gives a heading: the text lowercased,
// every character but letters, marks, digits, '-', '_' (and other connector
// punctuation) and spaces dropped, and each space turned into '-' (runs of
// spaces are not collapsed, so "run queue — RabbitMQ" becomes
// "run-queue--rabbitmq").
func githubSlug(heading string) string {
	text := inlineLink.ReplaceAllString(heading, "$1") // a link in a heading counts by its text
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-', unicode.In(r, unicode.L, unicode.M, unicode.Nd, unicode.Nl, unicode.Pc):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseMarkdown collects a file's heading anchors (a repeated heading gets
// "-1", "-2", … as on GitHub) and its links, skipping fenced code blocks and
// code spans.
func parseMarkdown(text string) markdownFile {
	f := markdownFile{anchors: map[string]bool{}}
	seen := map[string]int{}
	fence := ""
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if len(line)-len(trimmed) < 4 {
			if m := fenceOpen.FindString(trimmed); m != "" {
				fence = m
				continue
			}
		}
		if m := headingLine.FindStringSubmatch(line); m != nil {
			slug := githubSlug(m[1])
			anchor := slug
			if n := seen[slug]; n > 0 {
				anchor = fmt.Sprintf("%s-%d", slug, n)
			}
			seen[slug]++
			f.anchors[anchor] = true
		}
		for _, m := range inlineLink.FindAllStringSubmatch(codeSpan.ReplaceAllString(line, "`code`"), -1) {
			f.links = append(f.links, markdownLink{line: i + 1, target: m[2]})
		}
	}
	return f
}

// docFiles returns README.md and every page under docs/, relative to the
// repository root.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) == 0 {
		t.Fatalf("no pages in %s: the reference should live in docs/*.md", filepath.Join(repoRoot, "docs"))
	}
	files := []string{"README.md"}
	for _, p := range pages {
		rel, err := filepath.Rel(repoRoot, p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, filepath.ToSlash(rel))
	}
	return files
}

func readDoc(t *testing.T, name string) markdownFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return parseMarkdown(string(b))
}

// isExternal tells links that leave the repository (checked by no test
// here) from relative ones.
func isExternal(target string) bool {
	return strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:")
}

// TestDocsLinks fails on a relative link to a missing file, or to a heading
// that its markdown file does not have.
func TestDocsLinks(t *testing.T) {
	files := docFiles(t)
	parsed := map[string]markdownFile{}
	for _, name := range files {
		parsed[name] = readDoc(t, name)
	}
	for _, name := range files {
		for _, l := range parsed[name].links {
			if isExternal(l.target) {
				continue
			}
			where := fmt.Sprintf("%s:%d: link %q", name, l.line, l.target)
			path, frag, _ := strings.Cut(l.target, "#")
			if strings.HasPrefix(path, "/") {
				t.Errorf("%s: write a link relative to %s, not from the repository's root", where, name)
				continue
			}
			file := name
			if path != "" {
				file = filepath.ToSlash(filepath.Join(filepath.Dir(name), path))
				if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(file))); err != nil {
					t.Errorf("%s: %s does not exist; fix the path (it is relative to %s)", where, file, name)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			target, ok := parsed[file]
			if !ok {
				target = readDoc(t, file)
				parsed[file] = target
			}
			if !target.anchors[frag] {
				t.Errorf("%s: %s has no heading with the anchor #%s; link to one of its headings: %s",
					where, file, frag, strings.Join(slices.Sorted(maps.Keys(target.anchors)), ", "))
			}
		}
	}
}

// TestDocsIndex fails when a page under docs/ is not linked from the
// README's front page, or does not link back to it.
func TestDocsIndex(t *testing.T) {
	readme := readDoc(t, "README.md")
	linked := map[string]bool{}
	for _, l := range readme.links {
		path, _, _ := strings.Cut(l.target, "#")
		linked[path] = true
	}
	for _, name := range docFiles(t)[1:] {
		if !linked[name] {
			t.Errorf("README.md does not link %s: add a row for it to the README's table of pages", name)
		}
		back := false
		for _, l := range readDoc(t, name).links {
			if path, _, _ := strings.Cut(l.target, "#"); path == "../README.md" {
				back = true
			}
		}
		if !back {
			t.Errorf("%s has no link back to the README: end its opening paragraph with one, [README](../README.md)", name)
		}
	}
}

// TestDocsWorkflowExample keeps the GitHub Actions workflow shown in the
// docs identical to examples/github-actions.yml, which users copy.
func TestDocsWorkflowExample(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(repoRoot, "examples", "github-actions.yml"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(want), "\n")
	found := 0
	for _, name := range docFiles(t) {
		b, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range fencedBlocks(string(b)) {
			if !strings.HasPrefix(block, first+"\n") {
				continue
			}
			found++
			if block != string(want) {
				t.Errorf("%s shows a workflow that differs from examples/github-actions.yml: copy the file into the page again", name)
			}
		}
	}
	if found == 0 {
		t.Errorf("no page shows examples/github-actions.yml (a fenced block starting %q); docs/ci.md should", first)
	}
}

// fencedBlocks returns the contents of a text's ``` fenced code blocks,
// each line ending in a newline.
func fencedBlocks(text string) []string {
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			if cur == nil {
				cur = &strings.Builder{}
			} else {
				blocks = append(blocks, cur.String())
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}

func TestDocsSlug(t *testing.T) {
	tests := []struct {
		heading string
		want    string
	}{
		// Plain words: lowercased, spaces become dashes.
		{"How latency is measured", "how-latency-is-measured"},
		// Code spans and '|' vanish; the '|' between words leaves no dash.
		{"`commsbench run rest|grpc|queue|event`", "commsbench-run-restgrpcqueueevent"},
		// An em dash between two spaces leaves two dashes.
		{"`commsbench run queue` — RabbitMQ", "commsbench-run-queue--rabbitmq"},
		// "…" is dropped and "-" stays, so " --out" leaves three dashes.
		{"`commsbench merge FILE|DIR… --out FILE`", "commsbench-merge-filedir---out-file"},
		{"Real brokers in containers: `--containers`, `commsbench brokers up|down`", "real-brokers-in-containers---containers-commsbench-brokers-updown"},
		// '_' stays, unlike other punctuation.
		{"The `send_delay` figure", "the-send_delay-figure"},
		// A link in a heading counts by its text only.
		{"See [the events](event.md#result) page", "see-the-events-page"},
		// Letters outside ASCII are kept, lowercased.
		{"Über Größe", "über-größe"},
		// Symbols such as emoji go, the space after one stays.
		{"😄 emoji", "-emoji"},
		// Digits stay; a trailing space still becomes a dash.
		{"Step 2 ", "step-2-"},
	}
	for _, tt := range tests {
		if got := githubSlug(tt.heading); got != tt.want {
			t.Errorf("githubSlug(%q) = %q, want %q", tt.heading, got, tt.want)
		}
	}
}

func TestDocsParseMarkdown(t *testing.T) {
	text := strings.Join([]string{
		"# Title",                          // 1
		"See [a](a.md#x) and ![i](i.png).", // 2
		"```sh",                            // 3
		"# not a heading [b](b.md)",        // 4
		"```",                              // 5
		"`[c](c.md)` is code; [d](d.md \"title\")", // 6
		"## Title", // 7
		"## Title", // 8
	}, "\n")
	f := parseMarkdown(text)
	var got []string
	for _, l := range f.links {
		got = append(got, fmt.Sprintf("%d:%s", l.line, l.target))
	}
	want := []string{"2:a.md#x", "2:i.png", "6:d.md"}
	if !slices.Equal(got, want) {
		t.Errorf("links = %v, want %v", got, want)
	}
	for _, a := range []string{"title", "title-1", "title-2"} {
		if !f.anchors[a] {
			t.Errorf("anchor %q missing; anchors: %v", a, f.anchors)
		}
	}
	if f.anchors["not-a-heading-b"] {
		t.Errorf("a line in a fenced code block was taken for a heading")
	}
}
