package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"switchboard/config"
	"switchboard/queues"
)

// browser starts Debian's Chromium headless (CHROMIUM names another binary)
// for the test; it fails clearly when there is none.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if found, err := exec.LookPath(p); err == nil {
				path = found
				break
			}
		}
	}
	if path == "" {
		t.Fatal("no chromium on PATH (apt-get install chromium, or set CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelC := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelC(); cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// screenshot saves the page as name.png in SWITCHBOARD_SCREENSHOTS (the
// README's docs/screenshots), else in the test's temporary directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SWITCHBOARD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// js runs a script in the page.
func js(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// setSelect picks a value in a <select> and tells the page, as a user's pick would.
func setSelect(sel, value string) chromedp.Action[chromedp.Void] {
	return js(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q;
		s.dispatchEvent(new Event("change")); return true })()`, sel, value))
}

// clickText clicks the first button under root whose text is label.
func clickText(root, label string) chromedp.Action[chromedp.Void] {
	return js(fmt.Sprintf(`[...document.querySelectorAll(%q)].find(b => b.textContent === %q).click()`, root+" button", label))
}

// An agent signs in to the desktop, goes available, gets an offer made
// through the API, accepts it, replies and completes it; the wallboard
// shows the waiting count change; the planner computes a staffing table.
func TestPagesInABrowser(t *testing.T) {
	in := newInstance(t, "", nil)
	ctx := browser(t)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey,
		`{"id":"ana","name":"Ana","time_zone":"Europe/Madrid","languages":["en"],"skills":{"support":4},"capacity":{"chat":2}}`)

	// The agent desktop.
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.srv.URL+"/ui/agent.html"),
		chromedp.SetValue(chromedp.CSS("#agentid"), "ana"),
		chromedp.SetValue(chromedp.CSS("#apikey"), anaKey),
		chromedp.Click(chromedp.CSS(`#loginform button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#desk")),
		setSelect("#presence", "away"),
		chromedp.WaitVisible(chromedp.CSS("#reason")),
		setSelect("#reason", "lunch"),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		var a struct {
			State queues.AgentState `json:"state"`
		}
		in.must(http.StatusOK, "GET", "/v1/agents/ana", adminKey, "").decode(t, &a)
		badge, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#state")))
		return a.State.Presence == "away" && a.State.Reason == "lunch" && badge == "Away · Lunch"
	}, "ana away for lunch, picked from the list and shown")
	if err := chromedp.Do(ctx, setSelect("#presence", "available")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return anaState(t, in).Presence == "available" }, "ana available from the desktop")
	var task queues.Task
	in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev",
		`{"channel":"chat","queue":"support-en","customer":{"name":"Lucy"}}`).decode(t, &task)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".offer"))); err != nil {
		t.Fatal(err)
	}
	offerText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".offer")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(offerText, "chat · support-en") || !strings.Contains(offerText, "Lucy") {
		t.Fatalf("offer card %q", offerText)
	}
	if chimes, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.chimes || "0"`)); chimes != "1" {
		t.Fatalf("the offer chimed %s times", chimes)
	}
	screenshot(t, ctx, "agent-offer")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".offer button")),
		chromedp.WaitVisible(chromedp.CSS("#tasks textarea")),
		chromedp.SendKeys(chromedp.CSS("#tasks textarea"), "Hello Lucy, looking into it."),
		chromedp.Click(chromedp.CSS(`#tasks form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#tasks .msg.out`))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "agent-desktop")
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#tasks input[aria-label="Disposition"]`), "solved"),
		clickText("#tasks", "Complete"),
		chromedp.WaitVisible(chromedp.CSS(`[data-label="wrap_up"]`)),
		clickText("#tasks", "Ready"),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		var got queues.Task
		in.must(http.StatusOK, "GET", "/v1/tasks/"+task.ID, adminKey, "").decode(t, &got)
		return got.State == "completed" && got.Disposition == "solved" && got.MessagesOut == 1
	}, "the task completed from the desktop, with its reply")

	t.Logf("wallboard at %s", time.Now().Format(time.StampMilli))
	// The wallboard: a call waits in a queue nobody serves.
	in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev", `{"channel":"voice","queue":"billing-en"}`)
	err = chromedp.Do(ctx,
		js(`sessionStorage.clear()`), // the agent's key is kept for the session
		chromedp.Navigate(in.srv.URL+"/ui/wallboard.html"),
		chromedp.SetValue(chromedp.CSS("#apikey"), "sb_supervisor_dev"),
		chromedp.Click(chromedp.CSS(`#loginform button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#queues tr")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		row, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#queues tr")].map(r => r.innerText).
			filter(s => s.includes("billing-en") && s.includes("voice"))[0] || ""`))
		if !strings.Contains(row, "voice\t1") {
			t.Logf("row %q", row)
			return false
		}
		return true
	}, "the wallboard shows the waiting call")
	screenshot(t, ctx, "wallboard")

	t.Logf("planner at %s", time.Now().Format(time.StampMilli))
	// The planner: Erlang C and A for 100 contacts in 30 minutes, 180 s, 80/20.
	for i, step := range []chromedp.Action[chromedp.Void]{
		js(`sessionStorage.clear()`), // the key kept from the wallboard is a supervisor's
		chromedp.Navigate(in.srv.URL + "/ui/planner.html"),
		chromedp.SetValue(chromedp.CSS("#apikey"), "sb_planner_dev"),
		chromedp.Click(chromedp.CSS(`#loginform button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#staffing")),
		chromedp.Click(chromedp.CSS(`#staffing button[type=submit]`)),
	} {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := chromedp.Do(sctx, step)
		cancel()
		if err != nil {
			t.Fatalf("planner step %d: %v", i, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS("#s-result"))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("err").textContent`))
		t.Fatalf("no staffing table: %v (page says %q)", err, msg)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#s-result tbody tr")].map(r => r.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 || !strings.HasPrefix(cells[0], "Erlang C\t14\t20\t") || !strings.HasPrefix(cells[1], "Erlang A") {
		t.Fatalf("staffing table %q", cells)
	}
	// A forecast upload with bad rows is refused, each shown by line and
	// column; the fixed file is stored.
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "bad.csv"), filepath.Join(dir, "good.csv")
	header := "queue,channel,start,minutes,contacts,aht_seconds\n"
	if err := os.WriteFile(bad, []byte(header+"support-en,voice,2026-03-09T09:00:00Z,30,100,180\n"+
		"support-en,voice,next monday,30,100,180\n"+"nowhere,voice,2026-03-09T10:00:00Z,30,-5,180\n"+"support-en,voice,2026-03-09T10:30:00Z,30,90,180,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte(header+"support-en,voice,2026-03-09T09:00:00Z,30,100,180\n"+
		"support-en,voice,2026-03-09T09:30:00Z,30,120,180\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{bad}),
		chromedp.Click(chromedp.CSS(`#forecast button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#f-errors"))); err != nil {
		t.Fatal(err)
	}
	// Every problem at once, by line: what cannot be read, and what is wrong
	// with a row that can.
	rowErrs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#f-errors tbody tr")].map(r => r.innerText)`))
	if err != nil || len(rowErrs) != 4 || !strings.HasPrefix(rowErrs[0], "3\tstart\tcannot be read") ||
		!strings.HasPrefix(rowErrs[1], "4\tqueue\tunknown queue") || !strings.HasPrefix(rowErrs[2], "4\tcontacts\t") ||
		!strings.HasPrefix(rowErrs[3], "5\t\tneeds 6 columns") {
		t.Fatalf("forecast row errors %q: %v", rowErrs, err)
	}
	screenshot(t, ctx, "planner-forecast-errors")
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{good}),
		chromedp.Click(chromedp.CSS(`#forecast button[type=submit]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#f-result")))
		return got == "Rows stored: 2"
	}, "the corrected forecast stored")

	// The coverage chart of that day, drawn by the API in the queue's zone.
	if err := chromedp.Do(ctx, js(`document.getElementById("c-from").value = "2026-03-09"; document.getElementById("c-to").value = "2026-03-09"`),
		chromedp.Click(chromedp.CSS(`#coverage button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#c-chart svg"))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("err").textContent`))
		t.Fatalf("no coverage chart: %v (page says %q)", err, msg)
	}
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#c-chart svg text").textContent`))
	if err != nil || title != "Coverage of support-en on voice" {
		t.Fatalf("coverage chart title %q: %v", title, err)
	}

	// Ana's week in her zone: 09:00 there, however the browser's clock runs.
	in.must(http.StatusOK, "PUT", "/v1/agents/ana/schedule", "sb_planner_dev",
		`{"weekly":[{"day":"mon","start":"09:00","end":"17:00"},{"day":"tue","start":"09:00","end":"17:00"},`+
			`{"day":"wed","start":"09:00","end":"17:00"},{"day":"thu","start":"09:00","end":"17:00"},{"day":"fri","start":"09:00","end":"17:00"}]}`)
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#sched-agent"), "ana"),
		chromedp.Click(chromedp.CSS(`#sched button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS("#sched-table"))); err != nil {
		t.Fatal(err)
	}
	// Monday is under way (10:00 in Madrid by the test's clock); Tuesday whole.
	week, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#sched-table tbody").innerText`))
	if err != nil || !strings.Contains(week, "Mon 2026-03-02\t10:00\t17:00\twork") || !strings.Contains(week, "2026-03-03\t09:00\t17:00\twork") {
		t.Fatalf("schedule %q: %v", week, err)
	}

	// A what-if simulation runs as a job: progress, then its report drawn.
	sctx, cancelSim := context.WithTimeout(ctx, 60*time.Second)
	defer cancelSim()
	if err := chromedp.Do(sctx, chromedp.Click(chromedp.CSS(`#sim button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#sim-totals"))); err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("err").textContent`))
		t.Fatalf("no simulation result: %v (page says %q)", err, msg)
	}
	totals, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#sim-totals tbody tr").innerText`))
	if err != nil || !strings.HasPrefix(totals, "support-en\t") {
		t.Fatalf("simulation totals %q: %v", totals, err)
	}
	screenshot(t, ctx, "planner")
}

// The wallboard with 50 queues and 200 agents on screen renders in under a
// second (the time to build the page from the API's answer, measured in
// the page, logged).
func TestWallboardAtScale(t *testing.T) {
	in := newInstance(t, "", nil, func(c *config.Config) {
		base := c.Queues[0]
		for i := range 50 - len(c.Queues) {
			q := base
			q.ID = fmt.Sprintf("extra-%02d", i)
			c.Queues = append(c.Queues, q)
		}
	})
	var csv strings.Builder
	csv.WriteString("id,name,time_zone,languages,skills,capacity,voice_blocks,contact\n")
	for i := range 200 {
		fmt.Fprintf(&csv, "a%03d,Agent %d,Europe/Madrid,en,support:3,,,\n", i, i)
	}
	in.do("PUT", "/v1/agents", "sb_planner_dev", "")
	r := in.request("PUT", "/v1/agents", csv.String(), "Authorization", "Bearer sb_planner_dev", "Content-Type", "text/csv")
	if r.status != http.StatusOK {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.srv.URL+"/ui/wallboard.html"),
		chromedp.SetValue(chromedp.CSS("#apikey"), "sb_supervisor_dev"),
		chromedp.Click(chromedp.CSS(`#loginform button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#agents tr")),
	)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#agents tr").length`))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.renderMs`))
	if err != nil {
		t.Fatal(err)
	}
	if rows != 200 {
		t.Fatalf("%d agents on the wallboard", rows)
	}
	t.Logf("wallboard with 50 queues and 200 agents rendered in %s ms", ms)
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tabTo presses Tab until the focused element is the one the script picks
// (a function of the element, true when it is the one), as a keyboard user
// would reach it; it fails when 60 presses never get there.
func tabTo(t *testing.T, ctx context.Context, is string) {
	t.Helper()
	for range 60 {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(`+is+`)(document.activeElement)`))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			// The focus is shown (style.css's focus ring), not only there.
			ring, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`))
			if ring == "none" {
				t.Fatalf("the focused element %s shows no focus", is)
			}
			return
		}
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("Tab never reaches %s", is)
}

// An agent works a chat with the keyboard only: signs in, goes available,
// accepts the offer, replies, completes and says ready, reaching every
// control with Tab and using it with Enter and the arrow keys.
func TestAgentDesktopByKeyboard(t *testing.T) {
	in := newInstance(t, "", nil)
	ctx := browser(t)
	in.must(http.StatusCreated, "POST", "/v1/agents", adminKey,
		`{"id":"ana","name":"Ana","time_zone":"Europe/Madrid","languages":["en"],"skills":{"support":4},"capacity":{"chat":2}}`)
	button := func(label string) string {
		return `(e) => e.tagName === "BUTTON" && e.textContent === "` + label + `"`
	}
	keys := func(k string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(in.srv.URL+"/ui/agent.html"), chromedp.WaitVisible(chromedp.CSS("#agentid"))); err != nil {
		t.Fatal(err)
	}
	tabTo(t, ctx, `(e) => e.id === "agentid"`)
	keys("ana")
	tabTo(t, ctx, `(e) => e.id === "apikey"`)
	keys(anaKey + kb.Enter)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#desk"))); err != nil {
		t.Fatal(err)
	}
	// Offline, two up in the list is available.
	tabTo(t, ctx, `(e) => e.id === "presence"`)
	keys(kb.ArrowUp + kb.ArrowUp)
	waitFor(t, func() bool { return anaState(t, in).Presence == "available" }, "ana available by keyboard")
	var task queues.Task
	in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev",
		`{"channel":"chat","queue":"support-en","customer":{"name":"Lucy"}}`).decode(t, &task)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".offer"))); err != nil {
		t.Fatal(err)
	}
	tabTo(t, ctx, button("Accept"))
	keys(kb.Enter)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#tasks textarea"))); err != nil {
		t.Fatal(err)
	}
	// Accepting put the focus in the reply box. A new offer arriving while
	// the agent types redraws the page: the focus and the text stay.
	tabTo(t, ctx, `(e) => e.tagName === "TEXTAREA"`)
	keys("Hello ")
	in.must(http.StatusCreated, "POST", "/v1/tasks", "sb_supervisor_dev", `{"channel":"chat","queue":"support-en","customer":{"name":"Max"}}`)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".offer"))); err != nil {
		t.Fatal(err)
	}
	keys("Lucy.")
	if typed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.tagName + ":" + document.activeElement.value`)); err != nil || typed != "TEXTAREA:Hello Lucy." {
		t.Fatalf("after a new offer the focus and text are %q (%v)", typed, err)
	}
	tabTo(t, ctx, button("Send"))
	keys(kb.Enter)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#tasks .msg.out`))); err != nil {
		t.Fatal(err)
	}
	tabTo(t, ctx, `(e) => e.getAttribute("aria-label") === "Disposition"`)
	keys("solved")
	tabTo(t, ctx, button("Complete"))
	keys(kb.Enter)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-label="wrap_up"]`))); err != nil {
		t.Fatal(err)
	}
	tabTo(t, ctx, button("Ready"))
	keys(kb.Enter)
	waitFor(t, func() bool {
		var got queues.Task
		in.must(http.StatusOK, "GET", "/v1/tasks/"+task.ID, adminKey, "").decode(t, &got)
		return got.State == "completed" && got.Disposition == "solved" && got.MessagesOut == 1
	}, "the chat completed by keyboard, with its reply")
}

// anaState is ana's state as the API gives it.
func anaState(t *testing.T, in *instance) queues.AgentState {
	var a struct {
		State queues.AgentState `json:"state"`
	}
	in.must(http.StatusOK, "GET", "/v1/agents/ana", adminKey, "").decode(t, &a)
	return a.State
}
