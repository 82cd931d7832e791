-- luacheck: no max line length
-- helpscout.triage.text and triage.transcript on fixed inputs: nasty HTML, quoted history,
-- signatures, empty threads, missing fields, non-ASCII, ISO 8601 parsing.
local triage = require "helpscout.triage"
local text = require "helpscout.triage.text"
local F = require "triage_fixtures"

describe("triage.text.html_to_text", function()
  it("turns paragraphs, line breaks and entities into plain text", function()
    local s = text.html_to_text("<p>Hi there,</p><p>My invoice &amp; receipt are <b>wrong</b>.<br>"
      .. "Total&nbsp;is &euro;12 &#8212; not &#x20AC;21 &lt;sigh&gt; &quot;ok&quot; &#39;x&#39;</p>")
    assert.are.equal("Hi there,\n\nMy invoice & receipt are wrong.\nTotal is €12 — not €21 <sigh> \"ok\" 'x'", s)
  end)

  it("renders nested lists with bullets and numbers", function()
    local s = text.html_to_text("<p>Steps:</p><ol><li>Open <i>Settings</i></li><li>Click<ul>"
      .. "<li>Billing</li><li>Invoices</li></ul></li></ol><p>Done</p>")
    assert.are.equal("Steps:\n\n1. Open Settings\n2. Click\n  - Billing\n  - Invoices\n\nDone", s)
  end)

  it("drops blockquotes (nested), gmail quotes, signatures, scripts, styles and comments", function()
    local s = text.html_to_text([[<div dir="ltr">Still broken.<blockquote class="x">old <blockquote>older</blockquote>
      still old</blockquote><!-- a > comment --><script>alert("<p>x</p>")</script><style>p{color:red}</style>
      <div class="gmail_signature"><div>Pat Lee</div><div>CEO</div></div>
      <div class="gmail_quote"><div>On Mon, Dana wrote:</div><div>hello</div></div></div>]])
    assert.are.equal("Still broken.", s)
  end)

  it("survives broken markup, stray '<' and attributes containing '>'", function()
    assert.are.equal("a < b and c > d", text.html_to_text("<p>a < b and c > d"))
    assert.are.equal("link here", text.html_to_text('<a href="x?a>b" title=\'>\'>link</a> here'))
    assert.are.equal("unclosed", text.html_to_text("<div>unclosed<span"))
    assert.are.equal("", text.html_to_text(nil))
    assert.are.equal("", text.html_to_text(""))
    assert.are.equal("42", text.html_to_text(42))
  end)

  it("keeps plain-text bodies line by line, including e-mail addresses in angle brackets", function()
    assert.are.equal("Hello Dana <dana@example.com>,\nline 2",
      text.html_to_text("Hello Dana <dana@example.com>,\r\nline 2"))
  end)

  it("keeps non-ASCII text intact and decodes numeric entities to UTF-8", function()
    assert.are.equal("Grüße aus Köln – 日本語 😀", text.html_to_text("<p>Grüße aus Köln &ndash; 日本語 &#128512;</p>"))
    assert.are.equal("\239\191\189", text.html_to_text("<p>&#xD800;</p>")) -- a lone surrogate -> U+FFFD
  end)
end)

describe("triage.text.strip_quoted", function()
  it("cuts 'On ... wrote:' history (also when wrapped over two lines) and > lines", function()
    assert.are.equal("New question here.",
      text.strip_quoted("New question here.\n\nOn Mon, May 1, 2024 at 10:00 AM Dana Ito <d@x.com> wrote:\n> old"))
    assert.are.equal("Top.", text.strip_quoted("Top.\nOn Mon, May 1, 2024 at 10:00 AM Dana\nwrote:\n> old"))
    assert.are.equal("a\nc", text.strip_quoted("a\n> quoted\nc"))
    assert.are.equal("Merci", text.strip_quoted("Merci\nLe lun. 6 mai 2024 à 10:00, Dana a écrit :\n> x"))
  end)

  it("cuts Outlook headers, '-- ' signatures, 'Sent from my' and short sign-off tails", function()
    assert.are.equal("Body", text.strip_quoted("Body\n-----Original Message-----\nFrom: x"))
    assert.are.equal("Body", text.strip_quoted("Body\n\nFrom: Dana Ito\nSent: Monday\nTo: Pat"))
    assert.are.equal("Body", text.strip_quoted("Body\n-- \nPat Lee\nACME"))
    assert.are.equal("Body", text.strip_quoted("Body\n\nSent from my iPhone"))
    assert.are.equal("I need help.", text.strip_quoted("I need help.\n\nThanks,\nPat Lee\nACME Inc."))
    -- a sign-off followed by real content is not a signature
    assert.are.equal("Thanks,\n" .. string.rep("x", 80), text.strip_quoted("Thanks,\n" .. string.rep("x", 80)))
  end)
end)

describe("triage.text.cap and width", function()
  it("counts code points and caps at a word boundary without splitting UTF-8", function()
    assert.are.equal(5, text.width("héllo"))
    assert.are.equal(3, text.width("日本語"))
    assert.are.equal("short", text.cap("short", 10))
    assert.are.equal("héllo wörld…", text.cap("héllo wörld this is long", 14))
    local capped = text.cap(string.rep("日", 50), 10)
    assert.are.equal(10, text.width(capped))
    assert.is_nil(capped:find("[\192-\255]$")) -- never ends inside a multi-byte sequence
  end)
end)

describe("triage.text.parse_time", function()
  it("parses Help Scout timestamps to epoch seconds without the local time zone", function()
    assert.are.equal(1714641164, text.parse_time("2024-05-02T09:12:44Z"))
    assert.are.equal(0, text.parse_time("1970-01-01T00:00:00Z"))
    assert.are.equal(951782400, text.parse_time("2000-02-29T00:00:00Z"))
    assert.are.equal(1714641164, text.parse_time("2024-05-02T11:12:44+02:00"))
    assert.are.equal(1714641164, text.parse_time("2024-05-02T04:12:44-0500"))
    assert.are.equal(1714641164, text.parse_time("2024-05-02T09:12:44.999Z"))
    assert.are.equal(1714608000, text.parse_time("2024-05-02"))
    assert.are.equal(-86400, text.parse_time("1969-12-31T00:00:00Z"))
    assert.are.equal(4102444800, text.parse_time("2100-01-01T00:00:00Z"))
  end)

  it("rejects malformed dates", function()
    for _, s in ipairs { "bad", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29", "2024-05-02T25:00:00Z",
      "2024-05-02T09:12:44Q", "", "2024-5-2" } do
      assert.is_nil(text.parse_time(s), s)
    end
    assert.is_nil(text.parse_time(nil))
    assert.is_nil(text.parse_time({}))
  end)

  it("round-trips through format_time", function()
    for _, s in ipairs { "2024-05-02T09:12:44Z", "1999-12-31T23:59:59Z", "2024-02-29T12:00:00Z" } do
      assert.are.equal(s, text.format_time(text.parse_time(s)))
    end
    assert.are.equal("2d 3h", text.duration(2 * 86400 + 3 * 3600 + 59))
    assert.are.equal("45m", text.duration(45 * 60))
  end)
end)

describe("triage.transcript", function()
  local conv = F.conv({ subject = "Invoice shows the wrong VAT number" }, {
    F.thread("customer", "<p>Hi,</p><p>My invoice lists an old VAT number.</p><p>Thanks,<br>Pat</p>",
      "2024-05-02T09:12:44Z"),
    F.thread("lineitem", nil, "2024-05-02T09:30:00Z", { action = { type = "assigned", text = "Dana assigned this" } }),
    F.thread("note", "<p>Checked Stripe, old VAT.</p>", "2024-05-02T09:40:00Z"),
    F.thread("message", "<p>Hi Pat, fixed!</p><div class=\"gmail_quote\">On Thu Pat wrote: old</div>",
      "2024-05-02T10:01:03Z"),
    F.thread("message", "<p>Draft text</p>", "2024-05-02T10:30:00Z", { state = "draft" }),
    F.thread("customer", "Great, thank you!\n\nOn Thu, May 2, 2024 at 10:01 Dana Ito <d@x.com> wrote:\n> Hi Pat, fixed!",
      "2024-05-02T11:00:00Z"),
  })

  it("lists messages oldest first, attributed, with quotes removed, drafts marked, line items dropped", function()
    local s = triage.transcript(conv)
    assert.are.equal(table.concat({
      "#51872 Invoice shows the wrong VAT number",
      "status: active · customer: Pat Lee <pat@customer.test>",
      "",
      "[2024-05-02 09:12] Customer Pat Lee:",
      "Hi,\n\nMy invoice lists an old VAT number.",
      "",
      "[2024-05-02 09:40] Note by Dana Ito:",
      "Checked Stripe, old VAT.",
      "",
      "[2024-05-02 10:01] Agent Dana Ito:",
      "Hi Pat, fixed!",
      "",
      "[2024-05-02 10:30] Agent Dana Ito [draft]:",
      "Draft text",
      "",
      "[2024-05-02 11:00] Customer Pat Lee:",
      "Great, thank you!",
    }, "\n"), s)
  end)

  it("can drop drafts and show line items as events", function()
    local s = triage.transcript(conv, { drafts = "drop", events = true, header = false })
    assert.is_nil(s:find("Draft text", 1, true))
    assert.truthy(s:find("[2024-05-02 09:30] · Dana assigned this", 1, true))
    assert.are.equal(1, select(2, s:gsub("^%[2024%-05%-02 09:12%]", "")))
  end)

  it("caps long messages", function()
    local long = F.conv({}, { F.thread("customer", string.rep("word ", 1000), "2024-05-02T09:12:44Z") })
    local msgs = triage.messages(long, { max_chars = 100 })
    assert.is_true(text.width(msgs[1].text) <= 100)
    assert.truthy(msgs[1].text:find("…$"))
  end)

  it("copes with empty threads, missing fields and no threads at all", function()
    local c = { id = 1, _embedded = { threads = { { type = "customer", body = "" }, { type = "message" }, {} } } }
    local s = triage.transcript(c)
    assert.truthy(s:find("(no subject)", 1, true))
    assert.truthy(s:find("Customer customer:\n(no text)", 1, true))
    assert.are.equal("(no subject)\n\n(no messages)", triage.transcript({}))
    assert.has_error(function() triage.transcript(nil) end)
    assert.has_error(function() triage.transcript({}, { nope = 1 }) end)
  end)

  it("sorts by createdAt even when the API order is shuffled, and keeps non-ASCII names", function()
    local c = F.conv({ primaryCustomer = { id = 5, first = "Zoë", last = "Ångström" } }, {})
    c._embedded.threads = {
      { id = 2, type = "message", body = "second", createdAt = "2024-05-02T10:00:00Z",
        createdBy = { type = "user", first = "José" } },
      { id = 1, type = "customer", body = "first", createdAt = "2024-05-02T09:00:00+00:00",
        customer = { first = "Zoë", last = "Ångström" } },
      { id = 3, type = "customer", body = "third", createdAt = "2024-05-02T11:30:00+02:00" },
    }
    local m = triage.messages(c)
    assert.are.same({ "first", "third", "second" }, { m[1].text, m[2].text, m[3].text })
    assert.are.equal("Zoë Ångström", m[1].author)
    assert.are.equal("José", m[3].author)
  end)
end)
