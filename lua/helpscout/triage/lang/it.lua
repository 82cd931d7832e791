-- Italian (Italiano): detection stop words, topic lexicon, priority cues and reply templates.
-- Format: doc/triage-languages.md. Accents fold (è -> e), elisions split (dell'ordine).
return {
  code = "it", name = "Italiano",
  stop = [[il di che non è per sono mio mia miei ho ha hanno abbiamo ma grazie buongiorno
    buonasera salve della delle dello degli nel nella con questo questa anche ancora
    perché sto stato stata vorrei potete potreste posso riesco ciao cordiali saluti
    distinti gentile gentili mi ci vi ne gli lo al alla ai dal dalla sul sulla come
    quando dove cosa già sempre mai niente nessuna nessun fa però quindi poi dell all
    nell un una uno sia dopo tutto tutti si da del dei le la i e in io nostra nostro vostra
    vostro ogni sarebbe voglio più qualcosa questi quello quella]],
  topics = {
    billing = {
      ["fattur*"] = 3, ["addebit*"] = 3, ["pagament*"] = 2, ["pagare"] = 1, ["pagato"] = 1,
      ["carta di credito"] = 2, ["carta"] = 1, iva = 3, ["partita iva"] = 3, ["codice fiscale"] = 2,
      ["importo*"] = 2, ["prezz*"] = 1, ["tariff*"] = 1, ["abbonamento"] = 1, ["due volte"] = 1,
      ["ricevuta*"] = 3, ["commission*"] = 2, ["bonifico"] = 2, paypal = 2, ["sconto"] = 2,
      ["coupon"] = 2, ["piano annuale"] = 2, ["rinnovo"] = 1, ["sdi"] = 3, ["pec"] = 1, ["costo"] = 1,
      ["costi"] = 1, ["preventivo"] = 1, ["intestazione"] = 2, ["ragione sociale"] = 2,
    },
    refunds = {
      ["rimbors*"] = 4, ["restitu*"] = 3, ["soldi indietro"] = 4, ["i miei soldi"] = 3,
      ["riaccredit*"] = 4, ["stornare"] = 3, ["storno"] = 3, ["per errore"] = 1, ["per sbaglio"] = 1,
      ["recesso"] = 3, ["diritto di recesso"] = 4, ["chargeback"] = 3, ["contestazione"] = 2,
      ["nota di credito"] = 3,
    },
    login = {
      ["accedere"] = 3, ["accesso"] = 2, ["login"] = 3, ["loggar*"] = 3, ["entrare"] = 2,
      ["password"] = 3, ["credenziali"] = 2, ["bloccat*"] = 2, ["codice di verifica"] = 3,
      ["autenticazione"] = 3, ["due fattori"] = 3, ["2fa"] = 3, ["nome utente"] = 2,
      ["reimposta*"] = 2, ["recuperare l account"] = 3, ["sso"] = 3, ["sessione"] = 1,
      ["disconness*"] = 3, ["non riesco ad entrare"] = 3, ["non riesco a entrare"] = 3,
    },
    bugs = {
      ["errore*"] = 2, ["errori"] = 2, ["bug*"] = 3, ["crash*"] = 3, ["si blocca"] = 3, ["bloccat*"] = 1,
      ["non funziona"] = 3, ["smesso di funzionare"] = 3, ["non carica"] = 3, ["si chiude"] = 3,
      ["pagina bianca"] = 3, ["schermata bianca"] = 3, ["si impalla"] = 3, ["impall*"] = 3,
      ["rotto"] = 2, ["screenshot"] = 1, ["browser"] = 1, ["versione"] = 1, ["aggiornamento"] = 1,
      ["non succede niente"] = 3, ["sparit*"] = 2, ["non salva"] = 2, ["caricamento"] = 1,
      ["500"] = 2, ["malfunzionament*"] = 3, ["problema tecnico"] = 2, ["anomalia"] = 2,
    },
    shipping = {
      ["spedizion*"] = 3, ["spedit*"] = 3, ["pacco*"] = 3, ["pacchi"] = 3, ["ordine"] = 2, ["ordini"] = 2,
      ["consegn*"] = 3, ["tracking"] = 3, ["numero di tracciamento"] = 4, ["tracciamento"] = 3,
      ["corriere"] = 3, ["bartolini"] = 3, ["brt"] = 3, ["poste"] = 2, ["sda"] = 3, dhl = 3, ups = 2,
      ["non e arrivato"] = 3, ["non mi e arrivato"] = 3, ["arrivato"] = 1, ["arrivare"] = 1,
      ["indirizzo di consegna"] = 4, ["indirizzo di spedizione"] = 4, ["dogana"] = 2, ["danneggiat*"] = 2,
      ["scatola"] = 1, ["in transito"] = 3, ["magazzino"] = 2, ["giacenza"] = 3,
    },
    feature_requests = {
      ["funzionalit*"] = 3, ["suggeriment*"] = 3, ["suggerisco"] = 3, ["sarebbe bello"] = 3,
      ["sarebbe utile"] = 3, ["sarebbe fantastico"] = 3, ["sarebbe comodo"] = 3, ["sarebbe possibile"] = 2,
      ["mi piacerebbe"] = 2, ["potreste aggiungere"] = 3, ["aggiungere"] = 1, ["modalita scura"] = 3,
      ["dark mode"] = 3, ["tema scuro"] = 3, ["idea"] = 2, ["miglioramento"] = 2, ["roadmap"] = 3,
      ["avete in programma"] = 3, ["in programma"] = 2, ["opzione per"] = 2, ["possibilita di"] = 2,
      ["nuova funzione"] = 3, ["manca"] = 1, ["proposta"] = 2,
    },
    cancellations = {
      ["disdett*"] = 4, ["disdire"] = 4, ["annull*"] = 3, ["cancellare l abbonamento"] = 4,
      ["cancellazione"] = 3, ["chiudere il mio account"] = 3, ["chiudere l account"] = 3,
      ["non rinnovare"] = 3, ["rinnovo automatico"] = 2, ["concorrente"] = 2, ["non ci serve"] = 2,
      ["non mi serve"] = 2, ["passare a"] = 1, ["sospendere"] = 2, ["disattivare"] = 2, ["recedere"] = 3,
      ["interrompere"] = 2,
    },
    data_privacy = {
      gdpr = 4, ["dati personali"] = 4, ["miei dati"] = 3, ["dati"] = 1, ["privacy"] = 3,
      ["protezione dei dati"] = 4, ["diritto di accesso"] = 4, ["diritto all oblio"] = 4,
      ["cancellazione dei dati"] = 4, ["cancellare i miei"] = 3, ["eliminare i miei"] = 3,
      ["consenso"] = 3, ["cookie*"] = 2, ["terzi"] = 1, ["garante"] = 4, ["copia dei"] = 2,
      ["trattamento dei dati"] = 4, ["informativa"] = 2, ["dpo"] = 3,
    },
    onboarding = {
      ["configurare"] = 2, ["configurazione"] = 2, ["primi passi"] = 4, ["come faccio"] = 2,
      ["tutorial"] = 3, ["guida"] = 2, ["invitare"] = 2, ["formazione"] = 2,
    },
  },
  urgent = { "urgente", "urgentemente", "urgenza", "al più presto", "prima possibile", "subito",
    "immediatamente", "asap", "critico", "emergenza", "produzione", "scadenza", "avvocato",
    "azioni legali", "vie legali", "denuncia", "codacons", "inaccettabile", "vergognoso",
    "vergogna", "assurdo", "furioso", "arrabbiato", "truffa", "non posso lavorare", "bloccato" },
  followup = { "ancora nessuna risposta", "nessuna risposta", "sto ancora aspettando", "ancora niente",
    "sollecito", "seconda volta", "terza volta", "di nuovo", "nuovamente", "novità", "ricordo che" },
  reply = {
    greeting = "Ciao %s,", greeting_anon = "Buongiorno,",
    about = "grazie per il messaggio su \"%s\".",
    asked = "Ci hai chiesto: \"%s\"", wrote = "Ci hai scritto: \"%s\"",
    sign_off = "Cordiali saluti,", team = "Il team di assistenza",
    templates = {
      billing = { ack = "grazie per averci scritto riguardo alla fatturazione.",
        next = "Sto controllando gli addebiti e le fatture del tuo account e ti confermo i dettagli " ..
          "(o ti invio una fattura corretta) appena ho finito." },
      refunds = { ack = "grazie per averci contattato per un rimborso.",
        next = "Sto verificando il pagamento secondo la nostra politica di rimborso; una volta " ..
          "approvato, il rimborso di solito arriva in 5-10 giorni lavorativi e ti avviserò." },
      login = { ack = "ci dispiace che tu non riesca ad accedere al tuo account.",
        next = "Puoi provare il link \"Password dimenticata\" nella pagina di accesso e mandarmi il " ..
          "messaggio esatto se continua a non funzionare? Dopo aver verificato l'account posso anche " ..
          "reimpostare l'accesso per te." },
      bugs = { ack = "grazie per la segnalazione, e scusa per il disagio.",
        next = "Per riprodurre il problema, puoi inviarci i passaggi eseguiti, il browser o la versione " ..
          "dell'app e uno screenshot dell'errore? Lo passo ai nostri sviluppatori." },
      shipping = { ack = "grazie per averci chiesto del tuo ordine.",
        next = "Sto verificando la spedizione con il corriere e ti mando il numero di tracciamento e " ..
          "la data di consegna prevista." },
      feature_requests = { ack = "grazie per il suggerimento, questo tipo di feedback ci aiuta molto.",
        next = "L'ho condiviso con il team di prodotto e ho aggiunto il tuo voto; ti farò sapere se " ..
          "entra nella roadmap." },
      cancellations = { ack = "grazie per avercelo detto, ci dispiace vederti andare via.",
        next = "Posso occuparmi io della disdetta. Prima, c'è qualcosa che avremmo potuto fare meglio, " ..
          "o ti aiuterebbe sospendere l'account?" },
      data_privacy = { ack = "grazie per la tua richiesta sui dati personali.",
        next = "Gestiamo la richiesta ai sensi del GDPR entro il termine di legge di un mese. Prima " ..
          "verifichiamo la tua identità, poi ti rispondiamo per iscritto." },
      onboarding = { ack = "grazie per il messaggio, ti aiuto volentieri a iniziare.",
        next = "Ti mando i passaggi e un link alla nostra guida introduttiva; se preferisci, lo vediamo " ..
          "insieme in una breve chiamata." },
      default = { ack = "grazie per il messaggio.",
        next = "Ci sto guardando ora e ti rispondo appena ho novità." },
    },
  },
}
