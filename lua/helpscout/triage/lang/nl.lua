-- Dutch (Nederlands): detection stop words, topic lexicon, priority cues and reply templates.
-- Format: doc/triage-languages.md. Compounds through "stem*" / "*stem" patterns.
return {
  code = "nl", name = "Nederlands",
  stop = [[de het een ik niet van en mijn dat met voor op maar wel geen bij nog graag
    alvast bedankt hallo heb hebben kan kunnen ook jullie uw u we wij ons onze zijn
    was werd wordt worden er naar dan als omdat hoe waarom wat wanneer waar dit deze
    die al toch even gewoon helaas groet groeten vriendelijke mvg goedemorgen goedemiddag
    beste dank hoi heeft hebt moet zou kunt word steeds elke niks iets heel erg echt]],
  topics = {
    billing = {
      ["factuur*"] = 3, ["*factuur"] = 3, ["facturen"] = 3, ["facturatie"] = 3, ["afschrijving*"] = 3,
      ["afgeschreven"] = 3, ["betaling*"] = 2, ["*betaling"] = 2, ["betaald"] = 1, ["betalen"] = 1,
      ["incasso*"] = 3, ["creditcard*"] = 2, btw = 3, ["btw-nummer"] = 3, ["btw nummer"] = 3, ["kvk"] = 2,
      ["bedrag*"] = 2, ["prijs*"] = 1, ["tarief*"] = 1, ["abonnement*"] = 1, ["dubbel afgeschreven"] = 3,
      ["twee keer"] = 1, ["kosten"] = 1, ["*kosten"] = 1, ["bon"] = 1, ["ideal"] = 2, ["overboeking*"] = 2,
      paypal = 2, ["korting*"] = 2, ["kortingscode*"] = 2, ["jaarabonnement"] = 2, ["verlenging"] = 1,
      ["rekening"] = 2, ["*rekening"] = 2, ["aanmaning*"] = 3,
    },
    refunds = {
      ["terugbetal*"] = 4, ["*terugbetaling"] = 4, ["geld terug"] = 4, ["mijn geld"] = 2,
      ["terugstort*"] = 4, ["restitutie*"] = 4, ["terugboek*"] = 3, ["creditnota*"] = 3,
      ["per ongeluk"] = 1, ["herroep*"] = 3, ["bedenktijd"] = 3, ["vergoed*"] = 3, ["retour*"] = 1,
      ["storno*"] = 3, ["chargeback"] = 3,
    },
    login = {
      ["inloggen"] = 3, ["ingelogd"] = 3, ["inlog*"] = 3, ["*inlog"] = 3, ["aanmelden"] = 2,
      ["wachtwoord*"] = 3, ["*wachtwoord"] = 3, ["login"] = 3, ["tweestaps*"] = 3, ["2fa"] = 3,
      ["verificatiecode*"] = 3, ["*code"] = 1, ["geblokkeerd"] = 2, ["buitengesloten"] = 3,
      ["toegang"] = 2, ["gebruikersnaam*"] = 2, ["authenticat*"] = 3, ["sso"] = 3, ["uitgelogd"] = 3,
      ["kom er niet in"] = 3, ["niet in"] = 1, ["resetten"] = 2, ["resetlink"] = 3, ["sessie"] = 1,
    },
    bugs = {
      ["fout*"] = 2, ["*fout"] = 2, ["foutmelding*"] = 3, ["bug*"] = 3, ["crash*"] = 3,
      ["vastgelopen"] = 3, ["loopt vast"] = 3, ["werkt niet"] = 3, ["doet het niet"] = 3,
      ["laadt niet"] = 3, ["wit scherm"] = 3, ["lege pagina"] = 3, ["bevriest"] = 2, ["kapot"] = 2,
      ["stuk"] = 1, ["screenshot*"] = 1, ["browser*"] = 1, ["versie"] = 1, ["update*"] = 1,
      ["gebeurt niets"] = 3, ["verdwenen"] = 2, ["opslaan"] = 1, ["laden"] = 1, ["500"] = 2,
      ["storing*"] = 2, ["probleem"] = 1, ["hapert"] = 2, ["blijft hangen"] = 3,
    },
    shipping = {
      ["levering*"] = 3, ["*levering"] = 3, ["bezorg*"] = 3, ["*bezorging"] = 3, ["geleverd"] = 3,
      ["verzend*"] = 3, ["*verzending"] = 3, ["verzonden"] = 3, ["pakket*"] = 3, ["*pakket"] = 3,
      ["pakketje"] = 3, ["track en trace"] = 4, ["track & trace"] = 4, ["trackingcode*"] = 4,
      ["tracking*"] = 3, ["postnl"] = 3, ["dhl"] = 3, ["dpd"] = 3, ["gls"] = 3, ["ups"] = 2, ["bpost"] = 3,
      ["bestelling*"] = 2, ["*bestelling"] = 2, ["besteld"] = 2, ["aangekomen"] = 2, ["ontvangen"] = 1,
      ["afleveradres*"] = 4, ["bezorgadres*"] = 4, ["douane*"] = 2, ["beschadigd"] = 2, ["doos"] = 1,
      ["onderweg"] = 2, ["magazijn"] = 2, ["bezorger"] = 3,
    },
    feature_requests = {
      ["functie*"] = 1, ["feature*"] = 3, ["suggestie*"] = 3, ["voorstel*"] = 2, ["zou fijn"] = 3,
      ["zou handig"] = 3, ["zou mooi"] = 3, ["zou top"] = 3, ["zou geweldig"] = 3, ["zou het mogelijk"] = 2,
      ["toevoegen"] = 2, ["inbouwen"] = 3, ["roadmap"] = 3, ["dark mode"] = 3, ["donkere modus"] = 3,
      ["idee*"] = 2, ["verbetering*"] = 2, ["gepland"] = 2, ["van plan"] = 2, ["optie*"] = 1,
      ["mogelijkheid"] = 1, ["uitbreiding*"] = 2, ["mis ik"] = 2, ["wens*"] = 2,
    },
    cancellations = {
      ["opzeg*"] = 4, ["*opzegging"] = 4, ["opgezegd"] = 4, ["annuleer*"] = 3, ["annul*"] = 3, ["geannuleerd"] = 3,
      ["beeindig*"] = 3, ["stopzetten"] = 3, ["afmelden"] = 1, ["account verwijderen"] = 2,
      ["niet verlengen"] = 3, ["stilzwijgend*"] = 2, ["verlenging*"] = 2, ["overstappen"] = 2,
      ["concurrent"] = 2, ["niet meer nodig"] = 2, ["pauzeren"] = 2, ["deactiveren"] = 2, ["contract*"] = 2,
      ["*contract"] = 2, ["looptijd"] = 2,
    },
    data_privacy = {
      avg = 4, gdpr = 4, ["persoonsgegevens"] = 4, ["*persoonsgegevens"] = 4, ["mijn gegevens"] = 3,
      ["gegevens"] = 1, ["*gegevens"] = 1, ["privacy*"] = 3, ["inzageverzoek*"] = 4, ["inzage"] = 3,
      ["verwijder mijn gegevens"] = 4, ["verwijderverzoek*"] = 4, ["vergeten te worden"] = 4,
      ["toestemming"] = 3, ["cookie*"] = 2, ["derden"] = 1, ["autoriteit persoonsgegevens"] = 4,
      ["verwerkersovereenkomst"] = 4, ["datalek"] = 3,
    },
    onboarding = {
      ["instellen"] = 3, ["inrichten"] = 3, ["handleiding*"] = 3, ["eerste stappen"] = 4,
      ["hoe kan ik"] = 2, ["uitnodigen"] = 2, ["tutorial*"] = 3, ["training*"] = 2,
    },
  },
  urgent = { "dringend", "spoed", "spoedig", "met spoed", "urgent", "zo snel mogelijk", "asap",
    "onmiddellijk", "meteen", "direct", "kritiek", "noodgeval", "productie", "deadline",
    "advocaat", "juridische stappen", "rechtszaak", "consumentenbond", "onacceptabel",
    "schandalig", "belachelijk", "boos", "woedend", "oplichting", "kan niet werken", "geblokkeerd" },
  followup = { "nog steeds", "nog geen antwoord", "geen reactie", "nog niets gehoord",
    "tweede keer", "derde keer", "opnieuw", "alweer", "herinnering", "al weken", "nog altijd" },
  reply = {
    greeting = "Hallo %s,", greeting_anon = "Hallo,",
    about = "Bedankt voor je bericht over \"%s\".",
    asked = "Je vroeg: \"%s\"", wrote = "Je schreef: \"%s\"",
    sign_off = "Met vriendelijke groet,", team = "Het supportteam",
    templates = {
      billing = { ack = "Bedankt voor je bericht over je facturatie.",
        next = "Ik bekijk nu de afschrijvingen en facturen op je account en laat je weten wat ik zie " ..
          "(of stuur een gecorrigeerde factuur) zodra dat klaar is." },
      refunds = { ack = "Bedankt dat je contact opneemt over een terugbetaling.",
        next = "Ik controleer de betaling aan de hand van ons terugbetalingsbeleid; na goedkeuring staat " ..
          "het bedrag meestal binnen 5 tot 10 werkdagen op je rekening. Ik laat het je weten." },
      login = { ack = "Vervelend dat je niet in je account kunt.",
        next = "Wil je de link \"Wachtwoord vergeten\" op de inlogpagina proberen en me de precieze " ..
          "melding sturen als het nog steeds niet lukt? Na controle van het account kan ik de " ..
          "toegang ook voor je resetten." },
      bugs = { ack = "Bedankt voor je melding, en sorry voor het ongemak.",
        next = "Om het na te bootsen: welke stappen heb je gezet, welke browser of app-versie gebruik " ..
          "je, en heb je een screenshot van de foutmelding? Ik geef het door aan onze ontwikkelaars." },
      shipping = { ack = "Bedankt voor je vraag over je bestelling.",
        next = "Ik vraag de zending na bij de vervoerder en stuur je de track-en-tracecode en de " ..
          "verwachte bezorgdatum." },
      feature_requests = { ack = "Bedankt voor je suggestie, dit soort feedback helpt ons echt.",
        next = "Ik heb hem gedeeld met ons productteam en je stem toegevoegd; ik laat het weten als " ..
          "hij op de roadmap komt." },
      cancellations = { ack = "Bedankt dat je het laat weten, jammer dat je vertrekt.",
        next = "Ik regel de opzegging graag voor je. Is er vooraf iets dat we beter hadden kunnen doen, " ..
          "of zou het helpen om het account te pauzeren?" },
      data_privacy = { ack = "Bedankt voor je verzoek over je persoonsgegevens.",
        next = "We behandelen je AVG-verzoek binnen de wettelijke termijn van een maand. We controleren " ..
          "eerst je identiteit en reageren daarna schriftelijk." },
      onboarding = { ack = "Bedankt voor je bericht, ik help je graag op weg.",
        next = "Ik stuur je de stappen en een link naar onze startgids; als je wilt, lopen we het samen " ..
          "door in een kort gesprek." },
      default = { ack = "Bedankt voor je bericht.",
        next = "Ik kijk er nu naar en laat zo snel mogelijk iets van me horen." },
    },
  },
}
