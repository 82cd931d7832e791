-- French (Français): detection stop words, topic lexicon, priority cues and reply templates.
-- Format: doc/triage-languages.md. Accents fold (é -> e), elisions split (l'adresse -> l adresse).
return {
  code = "fr", name = "Français",
  stop = [[le la les et je est pas des du un une mon ma mes pour avec sur merci bonjour
    que qui ne vous nous mais il elle ai suis cordialement ce cette au aux dans j l d n qu
    votre vos notre nos ça cela été avoir être fait faire peux pouvez pourriez depuis
    toujours encore très bien aussi rien quand comment pourquoi où alors donc svp
    madame monsieur bonsoir salut chez lors sont était avez avons serait voudrais
    aujourd hier déjà ou]],
  topics = {
    billing = {
      ["factur*"] = 3, ["*facture"] = 3, ["prelev*"] = 3, ["paiement*"] = 2, ["*paiement"] = 2,
      payer = 1, paye = 1, ["payé"] = 1, ["carte bancaire"] = 2, ["carte bleue"] = 2, cb = 1,
      tva = 3, ["numero de tva"] = 3, ["montant*"] = 2, ["tarif*"] = 1, prix = 1, ["abonnement*"] = 1,
      ["debit*"] = 2, ["debite"] = 3, ["deux fois"] = 1, ["recu"] = 1, ["reçu de paiement"] = 3,
      ["frais"] = 2, ["virement*"] = 2, paypal = 2, ["remise"] = 1, ["code promo"] = 2,
      ["siret"] = 2, ["raison sociale"] = 2, ["comptabilit*"] = 2, ["facturation"] = 3, ["devis"] = 1,
      ["trop paye"] = 2, ["renouvellement*"] = 1, ["preleve"] = 3,
    },
    refunds = {
      ["rembours*"] = 4, ["rembour*"] = 3, ["*remboursement"] = 4, ["rendre mon argent"] = 4, ["mon argent"] = 2,
      ["recuperer mon argent"] = 4, ["retractation"] = 3, ["droit de retractation"] = 4,
      ["par erreur"] = 1, ["geste commercial"] = 2, ["annuler le paiement"] = 2,
      ["contestation*"] = 2, ["opposition"] = 2, ["recredit*"] = 3,
    },
    login = {
      ["connexion*"] = 3, ["*connexion"] = 3, ["connecter"] = 3, ["connecte"] = 2, ["identifi*"] = 2,
      ["mot de passe"] = 3, mdp = 3, ["authentification*"] = 3, ["double authentification"] = 3,
      ["code de verification"] = 3, ["code de securite"] = 2, ["bloque"] = 2, ["verrouille"] = 3,
      ["acces"] = 2, ["acceder"] = 2, ["login"] = 3, ["deconnecte"] = 3, ["reinitialis*"] = 2,
      ["lien de reinitialisation"] = 3, ["nom d utilisateur"] = 2, ["sso"] = 3, ["2fa"] = 3,
      ["session"] = 1, ["rentrer dans mon compte"] = 3, ["acceder a mon compte"] = 3,
    },
    bugs = {
      ["bug*"] = 3, ["bogue*"] = 3, ["erreur*"] = 2, ["plant*"] = 3, ["crash*"] = 3,
      ["fonctionne pas"] = 3, ["fonctionne plus"] = 3, ["marche pas"] = 3, ["marche plus"] = 3,
      ["beug*"] = 3, ["page blanche"] = 3, ["ecran blanc"] = 3, ["charge pas"] = 3, ["chargement"] = 1,
      ["fige"] = 2, ["bloquee"] = 1, ["message d erreur"] = 3, ["capture d ecran"] = 1,
      ["navigateur"] = 1, ["version"] = 1, ["mise a jour"] = 1, ["rien ne se passe"] = 3,
      ["disparu"] = 2, ["enregistr*"] = 1, ["s affiche pas"] = 2, ["affiche"] = 0.5, ["500"] = 2,
      ["probleme technique"] = 2, ["dysfonctionnement*"] = 3, ["tourne en boucle"] = 3,
    },
    shipping = {
      ["livraison*"] = 3, ["*livraison"] = 3, ["livre"] = 1, ["expedi*"] = 3,
      ["colis"] = 3, ["suivi"] = 2, ["numero de suivi"] = 4, ["transporteur*"] = 3,
      colissimo = 3, chronopost = 3, ["la poste"] = 3, dhl = 3, ups = 2, ["mondial relay"] = 3,
      ["commande"] = 2, ["commande*"] = 2, ["recu ma commande"] = 3, ["pas recu"] = 2,
      ["adresse de livraison"] = 4, ["douane*"] = 2, ["endommage"] = 2, ["abime"] = 2,
      ["carton"] = 1, ["point relais"] = 3, ["en transit"] = 3, ["entrepot"] = 2, ["arrive"] = 1,
    },
    feature_requests = {
      ["fonctionnalit*"] = 3, ["suggestion*"] = 3, ["propos*"] = 1, ["serait genial"] = 3,
      ["serait top"] = 3, ["serait bien"] = 3, ["serait super"] = 3, ["serait pratique"] = 3,
      ["serait utile"] = 3, ["serait-il possible"] = 2, ["il possible"] = 1, ["ajouter"] = 2, ["ajout"] = 2,
      ["mode sombre"] = 3, ["theme sombre"] = 3, ["idee*"] = 2, ["amelioration*"] = 2,
      ["feuille de route"] = 3, ["roadmap"] = 3, ["prevu"] = 2, ["envisag*"] = 2, ["option"] = 1,
      ["j aimerais"] = 1, ["souhait*"] = 1, ["manque"] = 2, ["demande de fonctionnalite"] = 4,
    },
    cancellations = {
      ["resili*"] = 4, ["annul*"] = 3, ["*annulation"] = 3, ["desabonn*"] = 3, ["desinscri*"] = 2,
      ["mettre fin"] = 3, ["arreter mon abonnement"] = 4, ["arreter l abonnement"] = 4,
      ["fermer mon compte"] = 3, ["supprimer mon compte"] = 2, ["ne pas renouveler"] = 3,
      ["reconduction*"] = 3, ["renouvellement automatique"] = 2, ["concurrent"] = 2,
      ["plus besoin"] = 2, ["n utilisons plus"] = 2, ["passer a"] = 1, ["engagement"] = 1,
      ["mettre en pause"] = 2, ["suspendre"] = 2, ["preavis"] = 2,
    },
    data_privacy = {
      rgpd = 4, ["donnees personnelles"] = 4, ["mes donnees"] = 3, ["*donnees"] = 1,
      ["confidentialit*"] = 3, ["vie privee"] = 4, ["droit d acces"] = 4, ["droit a l oubli"] = 4,
      ["effac*"] = 2, ["suppression de mes"] = 3, ["supprimer mes"] = 3, ["cnil"] = 4,
      ["consentement"] = 3, ["cookie*"] = 2, ["tiers"] = 1, ["donnees"] = 1, ["gdpr"] = 4,
      ["protection des donnees"] = 4, ["dpo"] = 3, ["portabilit*"] = 3, ["copie de mes"] = 3,
    },
    onboarding = {
      ["configurer"] = 2, ["configuration"] = 2, ["premiers pas"] = 4, ["comment faire"] = 2,
      ["tutoriel*"] = 3, ["guide"] = 2, ["inviter"] = 2, ["formation"] = 2, ["prise en main"] = 4,
    },
  },
  urgent = { "urgent", "urgence", "très urgent", "au plus vite", "dès que possible", "immédiatement",
    "tout de suite", "asap", "critique", "bloquant", "en production", "délai", "échéance",
    "avocat", "action en justice", "mise en demeure", "poursuites", "tribunal",
    "inadmissible", "inacceptable", "scandaleux", "honteux", "furieux", "arnaque", "escroquerie",
    "ne peux pas travailler" },
  followup = { "toujours pas", "toujours aucune", "relance", "je relance", "sans réponse",
    "aucune réponse", "pas de réponse", "deuxième fois", "troisième fois", "à nouveau", "encore une fois",
    "des nouvelles" },
  reply = {
    greeting = "Bonjour %s,", greeting_anon = "Bonjour,",
    about = "Merci pour votre message au sujet de « %s ».",
    asked = "Vous avez demandé : « %s »", wrote = "Vous avez écrit : « %s »",
    sign_off = "Cordialement,", team = "L'équipe support",
    templates = {
      billing = { ack = "Merci pour votre message concernant votre facturation.",
        next = "Je vérifie en ce moment les prélèvements et les factures de votre compte et je reviens " ..
          "vers vous dès que c'est fait, avec une facture corrigée si nécessaire." },
      refunds = { ack = "Merci de nous avoir contactés au sujet d'un remboursement.",
        next = "Je vérifie le paiement selon notre politique de remboursement ; une fois validé, le " ..
          "remboursement apparaît en général sous 5 à 10 jours ouvrés et je vous le confirmerai." },
      login = { ack = "Désolé que vous ayez du mal à accéder à votre compte.",
        next = "Pourriez-vous essayer le lien « Mot de passe oublié » sur la page de connexion et me " ..
          "transmettre le message exact si cela échoue encore ? Je peux aussi réinitialiser l'accès " ..
          "après vérification du compte." },
      bugs = { ack = "Merci pour ce signalement, et désolé pour la gêne occasionnée.",
        next = "Pour reproduire le problème, pourriez-vous m'indiquer les étapes suivies, le navigateur " ..
          "ou la version de l'application, et joindre une capture d'écran de l'erreur ? Je transmets " ..
          "le tout à nos développeurs." },
      shipping = { ack = "Merci pour votre message au sujet de votre commande.",
        next = "Je consulte l'expédition auprès du transporteur et je vous envoie le suivi ainsi que " ..
          "la date de livraison prévue." },
      feature_requests = { ack = "Merci pour la suggestion, ce type de retour nous aide beaucoup.",
        next = "Je l'ai transmise à notre équipe produit et j'ai ajouté votre vote ; je vous tiendrai " ..
          "au courant si elle rejoint la feuille de route." },
      cancellations = { ack = "Merci de nous avoir prévenus, nous sommes désolés de vous voir partir.",
        next = "Je peux m'occuper de la résiliation. Avant cela, y a-t-il quelque chose que nous " ..
          "aurions pu mieux faire, ou une mise en pause du compte vous aiderait-elle ?" },
      data_privacy = { ack = "Merci pour votre demande relative à vos données personnelles.",
        next = "Nous traitons votre demande RGPD dans le délai légal d'un mois. Nous vérifions d'abord " ..
          "votre identité, puis nous vous répondons par écrit." },
      onboarding = { ack = "Merci pour votre message, je vous aide volontiers à démarrer.",
        next = "Je vous envoie les étapes ainsi qu'un lien vers notre guide de prise en main ; nous " ..
          "pouvons aussi le faire ensemble lors d'un court appel." },
      default = { ack = "Merci pour votre message.",
        next = "Je regarde cela tout de suite et je reviens vers vous rapidement." },
    },
  },
}
