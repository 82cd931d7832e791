-- German (Deutsch): detection stop words, topic lexicon, priority cues and reply templates.
-- Format: doc/triage-languages.md. Terms are folded (ä -> a, ß -> ss) and stemmed like the
-- text; "stem*" matches words beginning with it, "*stem" words ending with it (compounds).
return {
  code = "de", name = "Deutsch",
  stop = [[der die das den dem des und ich nicht ist mein meine meinen meiner mit für auf
    habe hab hat haben bitte danke ein eine einen einem es sie wir aber noch kein keine
    wurde wurden hallo guten tag vielen dank mfg leider schon auch wie warum kann können
    konnte mir mich uns unser unsere ihr ihre ihnen sehr bei nach oder wenn dass weil
    jetzt immer gibt sind war wäre möchte würde grüße gruß liebe lieber sehr geehrte
    geehrter freundlichen seit einer eines nur alles etwas diese dieser dieses zum zur vom
    heute gestern mal doch hier da wieder]],
  topics = {
    billing = {
      rechnung = 3, ["rechnung*"] = 3, ["*rechnung"] = 3, ["rechnungs*"] = 3,
      abbuchung = 3, abgebucht = 3, ["abbuchung*"] = 3, zahlung = 2, ["zahlung*"] = 2,
      ["*zahlung"] = 2, bezahlt = 1, bezahlen = 1, lastschrift = 3, ["lastschrift*"] = 3,
      kreditkarte = 2, ["kreditkart*"] = 2, mwst = 3, ["mehrwertsteuer*"] = 3, ["ust-idnr"] = 3,
      ustid = 3, ["umsatzsteuer*"] = 3, steuernummer = 2, betrag = 2, ["*betrag"] = 2,
      preis = 1, ["preis*"] = 1, ["*preis"] = 1, tarif = 1, ["tarif*"] = 1, abo = 1, ["abonnement"] = 1,
      ["doppelt abgebucht"] = 3, ["zweimal abgebucht"] = 3, ["zu viel"] = 1, berechnet = 2,
      ["*gebühr"] = 2, ["gebühr*"] = 2, quittung = 3, beleg = 2, ["firmenname"] = 1,
      ["*konto"] = 0.5, paypal = 2, ["überweisung"] = 2, ["überweisung*"] = 2, ["*überweisung"] = 2,
      kosten = 1, ["rabatt*"] = 2, gutschein = 1, mahnung = 3, ["mahnung*"] = 3, faktura = 3,
    },
    refunds = {
      ["rückerstattung*"] = 4, ["*erstattung"] = 4, erstatten = 4, ["erstatt*"] = 4,
      ["zurückerstatten"] = 4, ["rückzahlung*"] = 4, ["geld zurück"] = 4, ["mein geld"] = 2,
      ["zurückbuchen"] = 3, ["rückbuchung*"] = 3, ["gutschrift*"] = 3, ["widerruf*"] = 2,
      widerrufen = 2, ["versehentlich*"] = 1, ["aus versehen"] = 1, ["zurückgeben"] = 2,
      ["zurückzahl*"] = 4, ["storno*"] = 1, ["geld-zurück*"] = 4, ["erstattet"] = 4,
    },
    login = {
      anmelden = 3, ["anmeldung*"] = 3, ["*anmeldung"] = 3, einloggen = 3, ["eingeloggt"] = 3,
      ["login*"] = 3, ["*login"] = 3, ["passwort*"] = 3, ["*passwort"] = 3, ["kennwort*"] = 3,
      ["zwei-faktor*"] = 3, ["2fa"] = 3, ["bestätigungscode*"] = 3, ["*code"] = 1,
      ["gesperrt"] = 3, ["ausgesperrt"] = 3, ["zugang*"] = 2, ["zugriff*"] = 2, ["*zugang"] = 2,
      ["benutzername*"] = 2, ["authentifizierung*"] = 3, ["authenticator"] = 3, ["sso"] = 3,
      ["reinkommen"] = 2, ["reinkomme"] = 2, ["komme nicht rein"] = 3, ["nicht rein"] = 2,
      ["zurücksetzen"] = 2, ["ausgeloggt"] = 3, ["abgemeldet"] = 2, ["sitzung*"] = 1,
    },
    bugs = {
      fehler = 3, ["fehler*"] = 3, ["*fehler"] = 3, ["absturz*"] = 3, ["stürzt*"] = 3, ["abgestürzt"] = 3,
      ["funktioniert nicht"] = 3, ["geht nicht"] = 2, ["klappt nicht"] = 2, bug = 3,
      ["fehlermeldung*"] = 3, ["hängt"] = 2, ["hängt sich"] = 2, ["einfriert"] = 2, ["friert*"] = 2,
      ["lädt nicht"] = 3, ["leere seite"] = 3, ["weiße seite"] = 3, ["laden*"] = 1, ["lädt"] = 1,
      kaputt = 2, ["defekt"] = 1, ["problem*"] = 1, ["reproduzier*"] = 2, ["screenshot*"] = 1,
      ["browser*"] = 1, ["version*"] = 1, ["update*"] = 1, ["speichern*"] = 1, ["seite*"] = 0.5,
      ["dreht sich"] = 2, ["endlos*"] = 1, ["verschwunden"] = 2, ["nichts passiert"] = 3,
      ["passiert nichts"] = 3, ["500"] = 2, ["404"] = 1, ["abstürzt"] = 3, ["crash*"] = 3,
    },
    shipping = {
      lieferung = 3, ["lieferung*"] = 3, ["*lieferung"] = 3, ["liefer*"] = 3, geliefert = 3,
      ["versand*"] = 3, ["*versand"] = 3, versendet = 3, verschickt = 3, ["paket*"] = 3, ["*paket"] = 3,
      ["sendung*"] = 3, ["*sendung"] = 3, ["sendungsnummer*"] = 4, ["tracking*"] = 3, ["*tracking"] = 3,
      ["zusteller*"] = 3, dhl = 3, ups = 2, dpd = 3, hermes = 3, gls = 3, ["post"] = 1,
      ["bestellung*"] = 2, ["*bestellung"] = 2, bestellt = 2, ["angekommen"] = 2, ["nicht angekommen"] = 3,
      ["lieferadresse*"] = 3, ["zoll*"] = 2, ["beschädigt"] = 2, ["karton*"] = 1,
      ["zugestellt"] = 3, ["unterwegs"] = 2, ["päckchen"] = 3, ["lager*"] = 1,
    },
    feature_requests = {
      ["funktion*"] = 1, ["feature*"] = 3, ["vorschlag*"] = 3, ["*vorschlag"] = 3,
      ["wunsch*"] = 2, ["*wunsch"] = 2, ["wünschen"] = 2, ["wäre toll"] = 3, ["wäre super"] = 3,
      ["wäre schön"] = 3, ["wäre es möglich"] = 2, ["wäre cool"] = 3, ["wäre praktisch"] = 3,
      ["wäre hilfreich"] = 3, ["könntet ihr"] = 1, ["könnten sie"] = 1, ["hinzufügen"] = 2,
      ["einbauen"] = 3, ["roadmap"] = 3, ["dark mode"] = 3, ["dunkelmodus"] = 3, ["dunkle*"] = 2,
      ["idee*"] = 2, ["verbesserung*"] = 2, ["geplant"] = 2, ["planen"] = 1, ["anregung*"] = 3,
      ["möglichkeit"] = 1, ["option*"] = 1, ["erweiterung*"] = 2, ["vermisse"] = 2, ["fehlt mir"] = 2,
      ["integrieren"] = 1, ["unterstützen"] = 1, ["export*"] = 1, ["*export"] = 1,
    },
    cancellations = {
      ["kündig*"] = 4, ["gekündigt"] = 4, ["*kündigung"] = 4, ["kündigung*"] = 4,
      ["abo beenden"] = 4, beenden = 2, ["beendigung"] = 3, ["abbestellen"] = 3, ["abmelden"] = 1,
      ["konto löschen"] = 2, ["account löschen"] = 2, ["nicht verlängern"] = 3, ["verlängerung*"] = 2,
      ["*verlängerung"] = 2, ["automatische verlängerung"] = 3, ["wechseln zu"] = 2, ["nicht mehr"] = 1,
      ["brauchen"] = 0.5, ["stornieren"] = 3, ["storniert"] = 3, ["stornierung*"] = 3,
      ["vertrag*"] = 2, ["*vertrag"] = 2, ["laufzeit*"] = 2, ["pausieren"] = 2, ["deaktivieren"] = 2,
      ["downgrade"] = 2, ["konkurrenz"] = 2, ["anbieter"] = 1,
    },
    data_privacy = {
      dsgvo = 4, ["datenschutz*"] = 4, ["*datenschutz"] = 4, ["personenbezogen*"] = 4,
      ["daten löschen"] = 4, ["meine daten"] = 3, ["*daten"] = 1, ["löschung*"] = 3, ["*löschung"] = 3,
      ["auskunft*"] = 3, ["*auskunft"] = 3, ["einwilligung*"] = 3, ["cookie*"] = 2, ["gdpr"] = 4,
      ["art. 15"] = 3, ["artikel 15"] = 3, ["artikel 17"] = 3, ["vergessenwerden"] = 4,
      ["datenweitergabe"] = 4, ["weitergabe*"] = 2, ["an dritte"] = 4, ["meiner daten"] = 3,
      ["dritte*"] = 1, ["widerspruch"] = 2, ["gespeichert"] = 2,
      ["speichern sie"] = 2, ["datenkopie"] = 4, ["*datenkopie"] = 4, ["avv"] = 3,
    },
    onboarding = {
      ["einrichten"] = 3, ["einrichtung*"] = 3, ["anleitung*"] = 3, ["erste schritte"] = 4,
      ["wie kann ich"] = 2, ["wie funktioniert"] = 2, ["einladen"] = 2, ["schulung*"] = 2,
      ["dokumentation*"] = 2, ["tutorial*"] = 3,
    },
  },
  -- priority cues (helpscout.triage.priority): urgency, anger and legal words; follow-ups
  urgent = { "dringend", "eilig", "sofort", "umgehend", "asap", "notfall", "kritisch",
    "so schnell wie möglich", "schnellstmöglich", "unverzüglich", "frist", "produktion",
    "geht gar nichts", "ausfall", "anwalt", "rechtsanwalt", "rechtliche schritte", "klage",
    "verbraucherzentrale", "unverschämt", "unverschämtheit", "frechheit", "inakzeptabel",
    "katastrophe", "sauer", "wütend", "stinksauer", "betrug", "abzocke", "blockiert",
    "kann nicht arbeiten" },
  followup = { "noch keine antwort", "immer noch", "nachfrage", "nochmal", "erneut",
    "zum zweiten mal", "zum dritten mal", "erinnerung", "keine rückmeldung", "warte noch",
    "gibt es neuigkeiten", "schon wieder" },
  reply = {
    greeting = "Hallo %s,", greeting_anon = "Guten Tag,",
    about = "vielen Dank für Ihre Nachricht zu \"%s\".",
    asked = "Sie fragten: \"%s\"", wrote = "Sie schrieben: \"%s\"",
    sign_off = "Viele Grüße", team = "Ihr Support-Team",
    templates = {
      billing = { ack = "vielen Dank für Ihre Nachricht zu Ihrer Rechnung.",
        next = "Ich prüfe gerade die Abbuchungen und Rechnungen in Ihrem Konto und melde mich, " ..
          "sobald das erledigt ist – bei Bedarf mit einer korrigierten Rechnung." },
      refunds = { ack = "vielen Dank, dass Sie sich wegen einer Erstattung melden.",
        next = "Ich prüfe die Zahlung anhand unserer Erstattungsrichtlinie. Nach der Freigabe ist " ..
          "die Erstattung meist innerhalb von 5–10 Werktagen auf Ihrem Konto; ich gebe Ihnen Bescheid." },
      login = { ack = "es tut mir leid, dass Sie nicht in Ihr Konto kommen.",
        next = "Könnten Sie den Link „Passwort vergessen“ auf der Anmeldeseite versuchen und mir die " ..
          "genaue Meldung schicken, falls es weiterhin nicht klappt? Nach einer Prüfung des Kontos " ..
          "kann ich die Anmeldung auch für Sie zurücksetzen." },
      bugs = { ack = "danke für die Meldung, und entschuldigen Sie die Unannehmlichkeiten.",
        next = "Damit wir den Fehler nachstellen können: Welche Schritte haben Sie ausgeführt, welchen " ..
          "Browser bzw. welche App-Version nutzen Sie, und haben Sie einen Screenshot der Fehlermeldung? " ..
          "Ich leite alles an unser Entwicklungsteam weiter." },
      shipping = { ack = "danke für Ihre Nachfrage zu Ihrer Bestellung.",
        next = "Ich frage die Sendung gerade beim Versanddienstleister nach und schicke Ihnen die " ..
          "Sendungsverfolgung und den voraussichtlichen Liefertermin." },
      feature_requests = { ack = "vielen Dank für Ihren Vorschlag – solches Feedback hilft uns sehr.",
        next = "Ich habe ihn an unser Produktteam weitergegeben und Ihre Stimme vermerkt; ich melde " ..
          "mich, wenn er auf die Roadmap kommt." },
      cancellations = { ack = "danke für Ihre Nachricht – schade, dass Sie gehen möchten.",
        next = "Ich kümmere mich gern um die Kündigung. Gibt es vorher etwas, das wir hätten besser " ..
          "machen können, oder würde es helfen, das Konto zu pausieren?" },
      data_privacy = { ack = "vielen Dank für Ihre Datenschutzanfrage.",
        next = "Wir bearbeiten Ihre Anfrage nach der DSGVO innerhalb der gesetzlichen Frist von einem " ..
          "Monat. Zur Sicherheit bestätigen wir zuerst Ihre Identität und melden uns dann schriftlich." },
      onboarding = { ack = "danke für Ihre Nachricht – ich helfe Ihnen gern beim Einrichten.",
        next = "Ich schicke Ihnen die nötigen Schritte und einen Link zu unserer Einstiegsanleitung; " ..
          "gern gehen wir es auch in einem kurzen Gespräch gemeinsam durch." },
      default = { ack = "vielen Dank für Ihre Nachricht.",
        next = "Ich sehe mir das gleich an und melde mich so bald wie möglich bei Ihnen." },
    },
  },
}
