#!/usr/bin/env bash
# check-report.sh REPORT.html [SCREENSHOT.png] — render a commsbench HTML
# report in headless Chromium, fail on any console message (the report has
# no scripts, so any message is an error: a blocked load, a CSP violation,
# a parse problem) and save a PNG screenshot.
#
# Chromium comes from Debian's package: apt-get install -y chromium.
# Set CHROMIUM to use another binary, SIZE (WIDTHxHEIGHT, default
# 1280x2000) for the window and so the screenshot, and SECTION to the id
# of one section to render alone (such as SECTION=resilience, the
# timelines across a fault): the page is cut down to its styles and that
# section, and the check fails when the report has no such section.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 REPORT.html [SCREENSHOT.png]" >&2
	exit 2
fi
report=$1
png=${2:-${report%.html}.png}
size=${SIZE:-1280x2000}

if [ ! -s "$report" ]; then
	echo "check-report: $report: no such file, or empty" >&2
	exit 1
fi
chrome=${CHROMIUM:-}
if [ -z "$chrome" ]; then
	for c in chromium chromium-browser google-chrome; do
		if command -v "$c" >/dev/null 2>&1; then
			chrome=$c
			break
		fi
	done
fi
if [ -z "$chrome" ]; then
	echo "check-report: no Chromium found: install it with 'apt-get install -y chromium' or set CHROMIUM" >&2
	exit 3
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log=$work/chromium.log
url="file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")"

# One section alone: the head (styles), the section from its heading to
# the next one, and the end of the page.
if [ -n "${SECTION:-}" ]; then
	if ! grep -q "<h2 id=\"$SECTION\">" "$report"; then
		echo "check-report: $report has no section with id $SECTION" >&2
		exit 1
	fi
	awk -v id="$SECTION" '
		/<body>/ { print; head = 0; next }
		BEGIN { head = 1 }
		head { print; next }
		index($0, "<h2 id=\"" id "\">") { on = 1; print; next }
		on && /<h2/ { on = 0 }
		on { print }
		END { print "</body>\n</html>" }
	' "$report" >"$work/section.html"
	charts=$(grep -o '<svg class="chart"' "$work/section.html" | wc -l)
	if [ "$charts" -eq 0 ]; then
		echo "check-report: section $SECTION of $report holds no chart" >&2
		exit 1
	fi
	url="file://$work/section.html"
fi
rm -f "$png"

# A fresh profile, no background traffic, and every host name resolving to
# nothing: the page must render from the file alone.
if ! timeout 120 "$chrome" --headless --no-sandbox --disable-gpu \
	--disable-background-networking --disable-component-update --disable-sync \
	--no-first-run --no-default-browser-check --hide-scrollbars \
	--host-resolver-rules='MAP * ~NOTFOUND' \
	--user-data-dir="$work/profile" \
	--enable-logging=stderr --v=0 \
	--window-size="${size/x/,}" --screenshot="$png" "$url" >"$log" 2>&1; then
	cat "$log" >&2
	echo "check-report: chromium failed on $report" >&2
	exit 1
fi
if grep -E ':CONSOLE[:(]' "$log" >&2; then
	echo "check-report: $report logged the console messages above" >&2
	exit 1
fi
if [ ! -s "$png" ]; then
	cat "$log" >&2
	echo "check-report: chromium wrote no screenshot" >&2
	exit 1
fi
echo "check-report: $report rendered without console messages; screenshot $png"
