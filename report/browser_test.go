package report

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReportInBrowser renders the report in headless Chromium with
// scripts/check-report.sh: no console message, and a screenshot. It
// skips, saying why, where Chromium is not installed.
func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	browser := os.Getenv("CHROMIUM")
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if browser != "" {
			break
		}
		if p, err := exec.LookPath(name); err == nil {
			browser = p
		}
	}
	if browser == "" {
		t.Skip("no Chromium on PATH (apt-get install -y chromium, or set CHROMIUM): the browser check of the report is skipped")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to run scripts/check-report.sh")
	}
	dir := t.TempDir()
	html := filepath.Join(dir, "report.html")
	f, err := os.Create(html)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(f, Page{Title: "microservices suite", Generated: fixtureStart, Rows: fixtureRows()}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "report.png")
	cmd := exec.Command("bash", filepath.Join("..", "scripts", "check-report.sh"), html, png)
	cmd.Env = append(os.Environ(), "CHROMIUM="+browser, "SIZE=1280x900")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("check-report.sh: %v\n%s", err, out)
	}
	st, err := os.Stat(png)
	if err != nil || st.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v (size %d): a rendered report is larger than a blank page", png, err, st.Size())
	}
	// The check must fail on a page that logs to the console.
	bad := filepath.Join(dir, "bad.html")
	if err := os.WriteFile(bad, []byte(`<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>x</title><p>x</p><script>console.error("boom")</script>`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("bash", filepath.Join("..", "scripts", "check-report.sh"), bad, filepath.Join(dir, "bad.png"))
	cmd.Env = append(os.Environ(), "CHROMIUM="+browser, "SIZE=400x300")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("check-report.sh passed a page with a blocked script:\n%s", out)
	}
}
