-- luacheck: no max line length
-- Priority cues per language, table-driven: each row is a customer message with one urgency,
-- anger or legal cue (and the cue as the reason shows it), or a follow-up; the control row of
-- each language has none. The same waiting time everywhere, so only the cue moves the score.
local triage = require "helpscout.triage"

local NOW, SENT = "2024-05-02T09:00:00Z", "2024-05-02T08:00:00Z"

local function conv(subject, body)
  return { id = 1, subject = subject, status = "active", assignee = { id = 7, first = "Dana" },
    customerWaitingSince = { time = SENT },
    _embedded = { threads = { { id = 11, type = "customer", body = body, createdAt = SENT,
      createdBy = { id = 5, type = "customer" } } } } }
end

-- { language, kind, subject, body, cue shown in the reason (nil: no urgency reason) }
local CUES = {
  { "de", "urgency", "Export", "Bitte dringend prüfen, der Export fehlt.", "dringend" },
  { "de", "urgency", "Export", "Wir brauchen das so schnell wie möglich.", "so schnell wie möglich" },
  { "de", "anger", "Export", "Das ist eine FRECHHEIT, ich bin stinksauer.", "frechheit" },
  { "de", "legal", "Export", "Sonst schalte ich meinen Anwalt ein.", "anwalt" },
  { "de", "legal", "Export", "Ich werde rechtliche Schritte einleiten.", "rechtliche schritte" },
  { "de", "none", "Export", "Der Export fehlt, bitte prüfen.", nil },
  { "fr", "urgency", "Export", "C'est urgent, merci de regarder.", "urgent" },
  { "fr", "urgency", "Export", "Merci de corriger dès que possible.", "dès que possible" },
  { "fr", "urgency", "Export", "Merci de corriger des que possible.", "dès que possible" },
  { "fr", "anger", "Export", "C'est inadmissible et scandaleux.", "inadmissible" },
  { "fr", "legal", "Export", "Je vais contacter mon avocat.", "avocat" },
  { "fr", "legal", "Export", "Ceci vaut mise en demeure.", "mise en demeure" },
  { "fr", "none", "Export", "L'export manque, merci de regarder.", nil },
  { "es", "urgency", "Exportación", "Es urgente, lo necesito hoy.", "urgente" },
  { "es", "urgency", "Exportación", "Arréglenlo lo antes posible.", "lo antes posible" },
  { "es", "anger", "Exportación", "Esto es INACEPTABLE, estoy harto.", "inaceptable" },
  { "es", "legal", "Exportación", "Voy a hablar con mi abogado.", "abogado" },
  { "es", "legal", "Exportación", "Tomaré acciones legales.", "acciones legales" },
  { "es", "none", "Exportación", "Falta la exportación, revísenlo.", nil },
  { "pt", "urgency", "Exportação", "É urgente, preciso hoje.", "urgente" },
  { "pt", "urgency", "Exportação", "Preciso disso com urgência.", "com urgência" },
  { "pt", "anger", "Exportação", "Isso é um absurdo, que palhaçada.", "absurdo" },
  { "pt", "legal", "Exportação", "Vou abrir reclamação no Procon.", "procon" },
  { "pt", "legal", "Exportação", "Vou falar com meu advogado.", "advogado" },
  { "pt", "none", "Exportação", "A exportação sumiu, podem ver?", nil },
  { "nl", "urgency", "Export", "Dit is dringend, graag vandaag.", "dringend" },
  { "nl", "urgency", "Export", "Graag met spoed oplossen.", "met spoed" },
  { "nl", "anger", "Export", "Dit is echt schandalig.", "schandalig" },
  { "nl", "legal", "Export", "Ik schakel mijn advocaat in.", "advocaat" },
  { "nl", "legal", "Export", "Anders volgen juridische stappen.", "juridische stappen" },
  { "nl", "none", "Export", "De export ontbreekt, kunnen jullie kijken?", nil },
  { "it", "urgency", "Esportazione", "È urgente, serve oggi.", "urgente" },
  { "it", "urgency", "Esportazione", "Sistemate al più presto.", "al più presto" },
  { "it", "anger", "Esportazione", "È una vergogna, sono furioso.", "vergogna" },
  { "it", "legal", "Esportazione", "Mi rivolgerò al mio avvocato.", "avvocato" },
  { "it", "legal", "Esportazione", "Procederò per vie legali.", "vie legali" },
  { "it", "none", "Esportazione", "Manca l'esportazione, potete controllare?", nil },
  { "ja", "urgency", "エクスポート", "至急確認してください。", "至急" },
  { "ja", "urgency", "エクスポート", "緊急です。今日中に直してください。", "緊急" },
  { "ja", "anger", "エクスポート", "最悪です。納得できません。", "最悪" },
  { "ja", "legal", "エクスポート", "弁護士に相談します。", "弁護士" },
  { "ja", "legal", "エクスポート", "消費者センターに連絡します。", "消費者センター" },
  { "ja", "none", "エクスポート", "エクスポートがありません。確認お願いします。", nil },
}

local FOLLOWUPS = {
  { "de", "Immer noch keine Antwort", "Ich habe noch keine Antwort bekommen." },
  { "fr", "Relance", "Je relance, toujours pas de réponse." },
  { "es", "Sigo esperando", "Sigo esperando una respuesta." },
  { "pt", "Ainda aguardo", "Continuo aguardando retorno, sem resposta até agora." },
  { "nl", "Nog geen antwoord", "Ik heb nog geen antwoord gekregen." },
  { "it", "Sollecito", "Sollecito: nessuna risposta finora." },
  { "ja", "まだ返信がありません", "まだ返信がありません。どうなっていますか。" },
}

local function urgency_reason(p)
  for _, r in ipairs(p.reasons) do
    if r:find("^urgency words: ") then return r end
  end
  return nil
end

describe("priority cues in every language", function()
  local base = {}
  for _, row in ipairs(CUES) do
    if row[2] == "none" then base[row[1]] = triage.priority(conv(row[3], row[4]), { now = NOW }).score end
  end

  for _, row in ipairs(CUES) do
    local code, kind, subject, body, cue = row[1], row[2], row[3], row[4], row[5]
    it(("%s %s: %s"):format(code, kind, body), function()
      local p = triage.priority(conv(subject, body), { now = NOW })
      local reason = urgency_reason(p)
      if cue then
        assert.is_string(reason, "no urgency reason in: " .. table.concat(p.reasons, "; "))
        assert.truthy(reason:find(cue, 1, true), reason .. " lacks " .. cue)
        assert.is_true(p.score > base[code], p.score .. " <= " .. base[code])
      else
        assert.is_nil(reason)
      end
    end)
  end

  for _, row in ipairs(FOLLOWUPS) do
    it(row[1] .. " follow-up: " .. row[3], function()
      local p = triage.priority(conv(row[2], row[3]), { now = NOW })
      assert.truthy(table.concat(p.reasons, "; "):find("1 follow-up without an answer", 1, true),
        table.concat(p.reasons, "; "))
    end)
  end

  it("ranks a conversation with a cue above the same one without, in every language", function()
    for code in pairs(base) do
      local with, without
      for _, row in ipairs(CUES) do
        if row[1] == code and row[2] == "legal" then with = conv(row[3], row[4]) end
        if row[1] == code and row[2] == "none" then without = conv(row[3], row[4]) end
      end
      with.id, without.id = 2, 1
      local ranked = triage.rank({ without, with }, { now = NOW })
      assert.are.equal(2, ranked[1].id, code)
    end
  end)

  it("keeps a user's urgency_words list as the only list", function()
    local p = triage.priority(conv("x", "dringend, please"), { now = NOW, urgency_words = { "please" } })
    assert.are.equal("urgency words: please", urgency_reason(p))
  end)
end)
