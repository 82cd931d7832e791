-- luacheck: no max line length
-- helpscout.sandbox.corpus_lang: the sandbox's conversations in other languages (--languages).
-- A share of the seeded conversations whose topic these texts cover is rewritten, after the
-- English generation and with a PRNG of its own (so the data without --languages stays byte for
-- byte what it was): subject and the customer's messages in German, French, Spanish,
-- Portuguese, Dutch, Italian or Japanese; agents keep answering in English, as mixed teams do.
-- The language is recorded in store.language_truth (GET /_sandbox/truth lists it).
-- These texts were written apart from the triage lexicons and the spec corpus
-- (spec/fixtures/lang), so grouping them measures the lexicons on text they were not tuned on.
local _M = {}

_M.CODES = { "de", "fr", "es", "pt", "nl", "it", "ja" }

-- per language: greetings, closings, follow-ups, and per topic { subjects, messages }
local L = {}

L.de = {
  greetings = { "Hallo,", "Guten Tag,", "Hi zusammen,", "Sehr geehrte Damen und Herren," },
  closings = { "Viele Grüße", "MfG", "Danke und Gruß", "Beste Grüße" },
  followups = { "Gibt es hierzu schon etwas Neues?", "Ich warte immer noch auf eine Antwort.", "Können Sie mir bitte kurz Bescheid geben?" },
  billing = { { "Falscher Betrag auf der Rechnung", "Frage zur letzten Abbuchung" },
    { "Auf meiner letzten Rechnung wurde ein Betrag berechnet, der nicht zu meinem Tarif passt.", "Die Zahlung per Lastschrift wurde abgebucht, aber die Rechnung zeigt noch offen an." } },
  refunds = { { "Bitte um Erstattung", "Geld zurückbuchen" },
    { "Ich wurde nach der Kündigung noch belastet und bitte um Rückerstattung des Betrags.", "Bitte erstatten Sie mir den doppelt gezahlten Monatsbeitrag zurück." } },
  login = { { "Anmeldung klappt nicht", "Passwort zurücksetzen geht nicht" },
    { "Beim Einloggen bekomme ich immer die Meldung, dass mein Passwort ungültig ist.", "Der Link zum Zurücksetzen des Passworts ist abgelaufen und ich komme nicht mehr in mein Konto." } },
  bugs = { { "Fehler im Editor", "Seite stürzt ständig ab" },
    { "Beim Hochladen einer Datei erscheint eine Fehlermeldung und nichts wird gespeichert.", "Seit dem Update friert die Übersicht ein, sobald ich filtere." } },
  shipping = { { "Lieferung verspätet", "Paket noch nicht erhalten" },
    { "Meine Bestellung wurde angeblich versendet, aber die Sendungsnummer funktioniert nicht.", "Das Paket hängt laut Tracking seit Tagen im Verteilzentrum fest." } },
  feature_requests = { { "Vorschlag für eine neue Funktion", "Wunsch: Vorlagen" },
    { "Es wäre toll, wenn man Berichte automatisch per E-Mail verschicken könnte.", "Könnten Sie eine Funktion für wiederkehrende Aufgaben einbauen?" } },
  cancellations = { { "Kündigung meines Vertrags", "Abo zum Monatsende beenden" },
    { "Bitte kündigen Sie mein Abonnement zum nächsten möglichen Termin.", "Wir möchten den Vertrag nicht verlängern und zum Monatsende kündigen." } },
  data_privacy = { { "Auskunftsersuchen DSGVO", "Löschung meiner Daten" },
    { "Bitte teilen Sie mir mit, welche personenbezogenen Daten Sie über mich speichern.", "Ich verlange die Löschung aller meiner Daten gemäß DSGVO." } },
}

L.fr = {
  greetings = { "Bonjour,", "Bonjour à vous,", "Madame, Monsieur,", "Salut," },
  closings = { "Cordialement", "Merci d'avance", "Bien à vous", "Bonne journée" },
  followups = { "Avez-vous du nouveau ?", "Je n'ai toujours pas de réponse.", "Pouvez-vous me tenir au courant ?" },
  billing = { { "Erreur sur ma facture", "Question sur un prélèvement" },
    { "Le montant prélevé ne correspond pas au tarif de mon abonnement.", "Ma facture indique un paiement en attente alors que j'ai déjà payé par carte." } },
  refunds = { { "Demande de remboursement", "Remboursement du double paiement" },
    { "J'ai été débité après ma résiliation, merci de me rembourser.", "Je souhaite être remboursé du mois payé deux fois." } },
  login = { { "Problème de connexion", "Mot de passe refusé" },
    { "Je n'arrive plus à me connecter, le mot de passe est refusé.", "Le lien de réinitialisation du mot de passe ne marche pas et je n'ai plus accès à mon compte." } },
  bugs = { { "Bug dans l'éditeur", "L'application plante" },
    { "Quand j'envoie un fichier, un message d'erreur s'affiche et rien n'est enregistré.", "Depuis la mise à jour, le tableau de bord fige dès que je filtre." } },
  shipping = { { "Livraison en retard", "Colis non reçu" },
    { "Ma commande est marquée comme expédiée mais le numéro de suivi ne fonctionne pas.", "Le colis est bloqué au centre de tri depuis plusieurs jours." } },
  feature_requests = { { "Suggestion de fonctionnalité", "Idée : modèles de message" },
    { "Ce serait pratique de pouvoir envoyer les rapports automatiquement par e-mail.", "Pourriez-vous ajouter des tâches récurrentes ? Ce serait très utile." } },
  cancellations = { { "Résiliation de mon contrat", "Arrêt de l'abonnement" },
    { "Merci de résilier mon abonnement à la prochaine échéance.", "Nous ne souhaitons pas renouveler le contrat, merci d'annuler à la fin du mois." } },
  data_privacy = { { "Demande d'accès RGPD", "Effacement de mes données" },
    { "Merci de m'indiquer quelles données personnelles vous conservez à mon sujet.", "Je demande l'effacement de toutes mes données conformément au RGPD." } },
}

L.es = {
  greetings = { "Hola,", "Buenos días,", "Buenas tardes,", "Estimados:" },
  closings = { "Saludos", "Un saludo", "Gracias de antemano", "Atentamente" },
  followups = { "¿Hay alguna novedad?", "Sigo sin respuesta.", "¿Me pueden decir algo, por favor?" },
  billing = { { "Error en la factura", "Duda sobre un cargo" },
    { "El importe cobrado no coincide con la tarifa de mi plan.", "La factura aparece pendiente aunque ya pagué con tarjeta." } },
  refunds = { { "Solicitud de reembolso", "Devolución de un pago doble" },
    { "Me cobraron después de cancelar, por favor reembólsenme.", "Quiero el reembolso del mes que pagué dos veces." } },
  login = { { "No puedo entrar", "Contraseña rechazada" },
    { "No consigo iniciar sesión, me rechaza la contraseña.", "El enlace para restablecer la contraseña no funciona y no tengo acceso a la cuenta." } },
  bugs = { { "Fallo en el editor", "La aplicación se cuelga" },
    { "Al subir un archivo sale un mensaje de error y no se guarda nada.", "Desde la actualización el panel se congela cuando filtro." } },
  shipping = { { "Envío retrasado", "Paquete sin recibir" },
    { "Mi pedido figura como enviado pero el número de seguimiento no funciona.", "El paquete lleva días parado en el centro de distribución." } },
  feature_requests = { { "Sugerencia de funcionalidad", "Idea: plantillas" },
    { "Sería útil poder enviar los informes automáticamente por correo.", "¿Podrían añadir tareas recurrentes? Nos vendría muy bien." } },
  cancellations = { { "Baja del contrato", "Cancelar la suscripción" },
    { "Por favor, den de baja mi suscripción en la próxima renovación.", "No queremos renovar el contrato, cancelen a final de mes." } },
  data_privacy = { { "Solicitud de acceso RGPD", "Supresión de mis datos" },
    { "Indíquenme qué datos personales guardan sobre mí.", "Solicito la supresión de todos mis datos según el RGPD." } },
}

L.pt = {
  greetings = { "Olá,", "Bom dia,", "Boa tarde,", "Prezados," },
  closings = { "Obrigado", "Abraço", "Atenciosamente", "Fico no aguardo" },
  followups = { "Alguma novidade?", "Ainda estou sem resposta.", "Podem me dar um retorno, por favor?" },
  billing = { { "Erro na fatura", "Dúvida sobre uma cobrança" },
    { "O valor cobrado não bate com o preço do meu plano.", "A fatura aparece em aberto mas já paguei no cartão." } },
  refunds = { { "Pedido de reembolso", "Estorno de pagamento duplicado" },
    { "Fui cobrado depois de cancelar, quero o reembolso.", "Peço o estorno da mensalidade paga duas vezes." } },
  login = { { "Não consigo entrar", "Senha recusada" },
    { "Não consigo fazer login, a senha é recusada.", "O link para redefinir a senha não funciona e estou sem acesso à conta." } },
  bugs = { { "Falha no editor", "O app fecha sozinho" },
    { "Ao enviar um arquivo aparece uma mensagem de erro e nada é salvo.", "Depois da atualização o painel trava quando filtro." } },
  shipping = { { "Entrega atrasada", "Pacote não recebido" },
    { "Meu pedido consta como enviado mas o código de rastreio não funciona.", "A encomenda está parada no centro de distribuição há dias." } },
  feature_requests = { { "Sugestão de funcionalidade", "Ideia: modelos" },
    { "Seria útil enviar os relatórios automaticamente por email.", "Poderiam adicionar tarefas recorrentes? Ajudaria muito." } },
  cancellations = { { "Cancelamento do contrato", "Encerrar a assinatura" },
    { "Por favor, cancelem minha assinatura na próxima renovação.", "Não queremos renovar o contrato, cancelem no fim do mês." } },
  data_privacy = { { "Solicitação de acesso LGPD", "Exclusão dos meus dados" },
    { "Informem quais dados pessoais vocês guardam sobre mim.", "Solicito a exclusão de todos os meus dados conforme a LGPD." } },
}

L.nl = {
  greetings = { "Hallo,", "Beste,", "Goedemorgen,", "Hoi," },
  closings = { "Met vriendelijke groet", "Groet", "Alvast bedankt", "Groetjes" },
  followups = { "Is er al nieuws?", "Ik heb nog steeds geen antwoord.", "Kunnen jullie even laten weten hoe het staat?" },
  billing = { { "Fout op de factuur", "Vraag over een afschrijving" },
    { "Het afgeschreven bedrag klopt niet met het tarief van mijn abonnement.", "De factuur staat nog open terwijl ik al met creditcard heb betaald." } },
  refunds = { { "Verzoek om terugbetaling", "Dubbele betaling terug" },
    { "Na mijn opzegging is er toch afgeschreven, graag terugbetalen.", "Ik wil de dubbel betaalde maand terugbetaald krijgen." } },
  login = { { "Inloggen lukt niet", "Wachtwoord geweigerd" },
    { "Ik kan niet inloggen, mijn wachtwoord wordt geweigerd.", "De link om mijn wachtwoord te resetten werkt niet en ik heb geen toegang meer." } },
  bugs = { { "Fout in de editor", "App loopt vast" },
    { "Bij het uploaden van een bestand krijg ik een foutmelding en wordt niets opgeslagen.", "Sinds de update bevriest het overzicht zodra ik filter." } },
  shipping = { { "Levering vertraagd", "Pakket niet ontvangen" },
    { "Mijn bestelling staat als verzonden maar de trackingcode werkt niet.", "Het pakket ligt al dagen stil in het sorteercentrum." } },
  feature_requests = { { "Suggestie voor een functie", "Idee: sjablonen" },
    { "Het zou handig zijn om rapporten automatisch te mailen.", "Kunnen jullie terugkerende taken toevoegen? Dat zou ons veel helpen." } },
  cancellations = { { "Opzegging van mijn contract", "Abonnement beëindigen" },
    { "Graag mijn abonnement opzeggen per de volgende verlenging.", "We willen het contract niet verlengen, graag opzeggen per einde maand." } },
  data_privacy = { { "AVG inzageverzoek", "Verwijdering van mijn gegevens" },
    { "Laat me weten welke persoonsgegevens jullie van mij bewaren.", "Ik verzoek om verwijdering van al mijn gegevens volgens de AVG." } },
}

L.it = {
  greetings = { "Buongiorno,", "Salve,", "Ciao,", "Gentile assistenza," },
  closings = { "Cordiali saluti", "Grazie mille", "Saluti", "Grazie in anticipo" },
  followups = { "Ci sono novità?", "Non ho ancora ricevuto risposta.", "Potete aggiornarmi per favore?" },
  billing = { { "Errore in fattura", "Domanda su un addebito" },
    { "L'importo addebitato non corrisponde alla tariffa del mio piano.", "La fattura risulta non pagata anche se ho già pagato con carta." } },
  refunds = { { "Richiesta di rimborso", "Rimborso pagamento doppio" },
    { "Mi avete addebitato dopo la disdetta, chiedo il rimborso.", "Vorrei il rimborso del mese pagato due volte." } },
  login = { { "Non riesco ad accedere", "Password rifiutata" },
    { "Non riesco a fare login, la password viene rifiutata.", "Il link per reimpostare la password non funziona e non ho più accesso all'account." } },
  bugs = { { "Errore nell'editor", "L'app si blocca" },
    { "Quando carico un file compare un messaggio di errore e non viene salvato niente.", "Dopo l'aggiornamento la panoramica si blocca quando filtro." } },
  shipping = { { "Consegna in ritardo", "Pacco non ricevuto" },
    { "Il mio ordine risulta spedito ma il numero di tracciamento non funziona.", "Il pacco è fermo al centro di smistamento da giorni." } },
  feature_requests = { { "Suggerimento per una funzione", "Idea: modelli" },
    { "Sarebbe comodo poter inviare i report automaticamente via email.", "Potreste aggiungere le attività ricorrenti? Ci sarebbe molto utile." } },
  cancellations = { { "Disdetta del contratto", "Chiudere l'abbonamento" },
    { "Vi chiedo la disdetta del mio abbonamento al prossimo rinnovo.", "Non vogliamo rinnovare il contratto, annullatelo a fine mese." } },
  data_privacy = { { "Richiesta di accesso GDPR", "Cancellazione dei miei dati" },
    { "Vorrei sapere quali dati personali conservate su di me.", "Chiedo la cancellazione di tutti i miei dati ai sensi del GDPR." } },
}

L.ja = {
  greetings = { "お世話になっております。", "こんにちは。", "いつもお世話になっております。", "" },
  closings = { "よろしくお願いいたします。", "よろしくお願いします。", "お手数ですがよろしくお願いいたします。", "ご確認お願いします。" },
  followups = { "その後いかがでしょうか。", "まだ返信がありません。", "状況を教えていただけますか。" },
  billing = { { "請求金額の誤り", "引き落としについて" },
    { "請求された金額がプランの料金と合っていません。", "カードで支払い済みなのに、請求書が未払いのままになっています。" } },
  refunds = { { "返金のお願い", "二重払いの返金" },
    { "解約後にも課金されたので、返金をお願いします。", "二回支払った月の分を返金してください。" } },
  login = { { "ログインできない", "パスワードが通らない" },
    { "パスワードが違うと言われてログインできません。", "パスワード再設定のリンクが使えず、アカウントに入れません。" } },
  bugs = { { "エディタの不具合", "アプリが固まる" },
    { "ファイルをアップロードするとエラーが出て保存されません。", "アップデート後、絞り込みをすると画面が固まってしまいます。" } },
  shipping = { { "配送の遅れ", "荷物が届かない" },
    { "発送済みになっていますが、追跡番号が使えません。", "荷物が何日も配送センターで止まっています。" } },
  feature_requests = { { "機能のご提案", "テンプレート機能の要望" },
    { "レポートをメールで自動送信できると便利です。", "定期タスクの機能を追加していただけると助かります。" } },
  cancellations = { { "契約の解約", "サブスクの停止" },
    { "次回の更新で解約をお願いします。", "契約を更新せず、月末で解約したいです。" } },
  data_privacy = { { "個人情報の開示請求", "個人データの削除" },
    { "御社が保有している私の個人情報を教えてください。", "私の個人データをすべて削除してください。" } },
}
_M.texts = L

local function esc(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"))
end

local function first_message(rng, T, topic, first)
  local t = T[topic]
  local greet = rng.pick(T.greetings)
  local html = {}
  if greet ~= "" then html[#html + 1] = "<p>" .. esc(greet) .. "</p>" end
  html[#html + 1] = "<p>" .. esc(rng.pick(t[2])) .. "</p>"
  html[#html + 1] = "<p>" .. esc(rng.pick(T.closings)) .. "<br>" .. esc(first or "") .. "</p>"
  return table.concat(html)
end

-- Rewrites a share (0 < share <= 1) of convs (generated, not yet numbered) into the other
-- languages; rng: the language stream's own PRNG (data.lua's new_rng). Records the language
-- on each rewritten conversation (conv.language).
function _M.apply(convs, rng, share, customer_by_id)
  for _, conv in ipairs(convs) do
    local pick = rng.float()
    local code = _M.CODES[rng.int(#_M.CODES)]
    local T = L[code]
    if pick < share and T[conv.topic] then
      local cust = customer_by_id[conv.customer_id]
      local first = cust and cust.firstName
      conv.subject = rng.pick(T[conv.topic][1])
      local n = 0
      for _, th in ipairs(conv.threads) do
        if th.type == "customer" then
          n = n + 1
          th.body = n == 1 and first_message(rng, T, conv.topic, first)
            or ("<p>" .. esc(rng.pick(T.followups)) .. "</p><p>" .. esc(first or "") .. "</p>")
        elseif th.body and th.type == "message" then
          th.body = th.body:gsub('<div class="gmail_quote">.*$', "") -- it quoted the English text
        end
      end
      conv.language = code
    end
  end
end

return _M
