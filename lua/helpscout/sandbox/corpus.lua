-- luacheck: no max line length
-- Text pools for the sandbox's seeded data: the fictional company "Kestrel" sells inventory and
-- order software to small shops plus the hardware that goes with it (label printers, scanners).
-- Each topic has several ways customers phrase the same problem, on purpose overlapping in
-- vocabulary with neighbouring topics (a cancellation mentions money back, a privacy request
-- mentions deleting the account), so no single keyword identifies a topic.
-- Placeholders in {braces} are filled by data.lua.
local _M = {}

_M.company = "Kestrel"

_M.topics = {
  billing = {
    weight = 14,
    subjects = {
      "Charged twice this month?", "Invoice shows the wrong VAT number", "Question about my invoice",
      "Why did my bill go up?", "Card declined but I updated it", "Need a copy of last month's receipt",
      "Billing address on invoices", "Unexpected charge of {amount}", "proration when upgrading to {plan}",
      "Payment failed - account on hold?", "Can we pay by bank transfer instead", "Sales tax on my statement",
      "Annual vs monthly pricing", "wrong company name on invoice #{invoice}",
    },
    openers = {
      "I just looked at my bank statement and there are two charges of {amount} from {company} on the same day.",
      "Our latest invoice (#{invoice}) still shows the old VAT ID, our accountant needs the correct one.",
      "My card ending in {last4} was declined even though I updated the expiry date yesterday.",
      "We were billed {amount} but I thought the {plan} plan was cheaper than that.",
      "Could you send me the receipts for the last three months? I can't find them in the dashboard.",
      "The amount on this month's statement doesn't match what the pricing page says.",
      "I upgraded to {plan} mid-cycle and the proration math looks off to me.",
      "Your system says my payment failed and the account is about to be suspended, but the money left my account.",
      "Our finance team wants to switch from credit card to paying by invoice / wire transfer.",
      "There's a sales tax line on the invoice that wasn't there before, is that correct?",
      "I got charged for 5 seats but we only have 3 people using it.",
      "The billing email goes to a former employee, how do I change who receives the invoices?",
      "Is there a discount if we pay yearly instead of every month?",
      "Your payment page keeps rejecting our company Amex.",
    },
    details = {
      "The transaction reference on my side is {ref}.",
      "Our company name should read \"{org}\" and the address changed to {city}.",
      "I already checked with my bank, they say the charge was authorised by you.",
      "We're on the {plan} plan, billed monthly.",
      "Our accountant closes the books on Friday so this is a bit time-sensitive.",
      "I attached a screenshot of the statement.",
      "It happened last month too but I didn't notice until now.",
      "The PDF invoice also has the wrong currency (USD instead of EUR).",
    },
    asks = {
      "Can you check what happened?", "Please correct the invoice and resend it.",
      "Could you explain the charge?", "What do I need to do so the payment goes through?",
      "Please let me know how to fix this.", "Can you update it on your side?",
    },
    followups = {
      "Thanks, the corrected invoice looks right now.", "Still seeing the double charge on my card, any news?",
      "Got the receipts, thank you!", "Hmm, the new invoice still has the old address.",
    },
    replies = {
      "I've checked your account and I can see the two charges; one of them was an authorisation hold that should drop off within 3-5 business days.",
      "I've updated the VAT number on your account and re-issued invoice #{invoice}; you'll find it under Settings > Billing.",
      "The difference comes from the proration when you moved to {plan} in the middle of the cycle. Here's the breakdown:<ul><li>Unused time on old plan: -{amount}</li><li>Remaining time on {plan}: +{amount2}</li></ul>",
      "You can switch to annual billing from Settings &gt; Billing &gt; Plan; it works out about two months cheaper.",
      "I've attached the receipts you asked for. Going forward they'll also be sent to the billing contact you set.",
    },
    notes = {
      "Checked Stripe: one captured charge, one auth that expired. No action needed.",
      "VAT ID updated in billing system, invoice regenerated.",
      "Customer is on legacy pricing, don't move them to the new plan without asking.",
      "Seat count was 5 because two invites were never revoked.",
    },
    mentions = {
      "Also, unrelated: my last invoice had the wrong address on it.",
      "(Side note, I was charged a bit more than expected this month but that's a separate thing.)",
    },
  },

  refunds = {
    weight = 10,
    subjects = {
      "Refund request", "Money back for the unused months?", "Still waiting on my refund",
      "Returned the printer, where is my money", "Please reimburse order {order}",
      "Refund not showing on my card", "Charged after I cancelled - want it back",
      "Partial refund for outage?", "Return + refund for damaged scanner", "Requesting a credit for last month",
      "reembolso / refund please", "chargeback - please contact me",
    },
    openers = {
      "I'd like a refund for the annual plan I bought by mistake last week, I meant to choose monthly.",
      "I sent back the label printer two weeks ago (order {order}) and still haven't got the money back.",
      "You told me on {date} that the refund was processed, but nothing has appeared on my card yet.",
      "We were charged {amount} after cancelling, please give that back.",
      "The scanner stopped working after four days, I want to return it and get reimbursed.",
      "Given the outage last Tuesday we lost a full day of orders. Is a partial credit possible?",
      "I never used the Pro features, can I get my money back for this cycle?",
      "My bank says a refund takes 10 days but it has been almost a month now.",
      "Can you reverse the last payment? It was taken from the wrong card.",
      "Your return form says refunds are issued within 5 days of receiving the item. It's been 12.",
      "I opened a dispute with my bank because nobody answered, but I'd rather sort it out with you directly.",
      "Bought two licences instead of one. Please refund the extra one.",
    },
    details = {
      "The return tracking shows it was delivered to your warehouse on {date}.",
      "The amount was {amount}, card ending {last4}.",
      "Order number is {order}.",
      "I still have the original packaging if you need it.",
      "If a refund isn't possible, account credit would be OK too.",
      "Reference from my bank: {ref}.",
    },
    asks = {
      "How long will the refund take?", "Please process the refund.", "Can you confirm when the money will be returned?",
      "Please send it back to the original card.", "Let me know if you need anything else from me.",
    },
    followups = {
      "The refund arrived today, thanks!", "Still nothing on my statement, can you send proof of the refund?",
      "OK, I'll wait a few more days then.", "Any update? This is the third time I'm asking.",
    },
    replies = {
      "I've issued a refund of {amount} to the card ending in {last4}. Depending on your bank it can take 5-10 business days to show up.",
      "We received the returned printer on {date} and the refund was sent the same day; the reference is {ref} if your bank asks.",
      "I've added a credit of {amount} to your account for the outage; it will be applied to your next invoice automatically.",
      "Annual plans are refundable within 30 days, so you're covered. I've refunded the difference and moved you to monthly.",
    },
    notes = {
      "Refund approved by finance, {amount}.", "Return received in warehouse, condition OK.",
      "Chargeback opened by customer - loop in finance before replying.", "Second refund request this year, approved anyway.",
    },
    mentions = {
      "And if that can't be fixed I'd honestly prefer my money back.",
      "(I'm also still owed a refund from the printer I returned, but one thing at a time.)",
    },
  },

  login = {
    weight = 12,
    subjects = {
      "Can't log in", "locked out of my account", "Password reset email never arrives",
      "2FA code not working", "Lost my phone with the authenticator app", "SSO login loops back to the sign-in page",
      "cant sign in since this morning", "Verification code invalid", "Changed my email, now I can't access the account",
      "\"Invalid credentials\" but the password is right", "New team member can't accept invite",
      "Session keeps expiring every few minutes", "Magic link expired",
    },
    openers = {
      "I can't get into my account, it keeps saying my email or password is wrong.",
      "I requested a password reset three times and no email arrived, not even in spam.",
      "I got a new phone and the six-digit codes from my authenticator app are rejected.",
      "When I sign in with Google it just sends me back to the login page again and again.",
      "My account is locked after too many attempts. How long do I have to wait?",
      "Our new warehouse manager clicked the invite link but it says the invitation is no longer valid.",
      "Since this morning nobody on our team can sign in via Okta.",
      "I changed my email address last week and now the old one doesn't work and the new one isn't recognised.",
      "The reset link says it has expired even though I clicked it within a minute.",
      "I'm logged out every five minutes on the tablet at the packing station.",
      "I forgot which email I used to register, can you look it up?",
      "The verification SMS never comes through, I'm in {city} if that matters.",
    },
    details = {
      "I'm using {browser} on a Mac.", "I tried incognito mode and clearing cookies.",
      "My username should be {email}.", "We have two-factor enabled for the whole team.",
      "The error says \"Too many attempts, try again later\".", "It worked fine yesterday.",
      "I don't have the backup codes anymore, sorry.",
    },
    asks = {
      "Can you reset it for me?", "Please help me get back in, we have orders to ship.",
      "Can you disable 2FA so I can set it up again?", "What should I do?", "Could you unlock the account?",
    },
    followups = {
      "That worked, I'm back in. Thank you!", "Still getting the same error unfortunately.",
      "Got the reset email now, all good.", "Tried again after an hour, still locked.",
    },
    replies = {
      "I've reset two-factor authentication on your account. The next time you sign in you'll be asked to scan a new QR code.",
      "I've unlocked your account; the lockout normally clears itself after 30 minutes. If the reset email still doesn't arrive, please check whether your mail server blocks no-reply@kestrel.example.",
      "It looks like your account is registered under {email}. You can request a reset for that address from the sign-in page.",
      "We had an issue with our SSO provider this morning that is now resolved. Could you try signing in again?",
    },
    notes = {
      "Identity verified via last 4 of card before resetting 2FA.", "Reset emails bouncing - customer's domain has strict DMARC.",
      "Okta outage 09:10-09:55 UTC, see status page.", "Invite expired after 7 days, re-sent.",
    },
    mentions = {
      "Also my colleague can't log in at all, not sure if that's related.",
      "(I had to reset my password twice this week too, which was annoying.)",
    },
  },

  bugs = {
    weight = 13,
    subjects = {
      "App crashes when I open the orders tab", "Error 500 when saving a product", "Blank screen after update",
      "Stock levels wrong after sync", "Export to CSV broken", "Barcode labels print upside down",
      "something is wrong with the reports page", "Search doesn't find products with accents",
      "Can't upload product images", "Duplicate orders appearing", "Dashboard is extremely slow",
      "Bug: discount applied twice", "Android app freezes on scan", "Numbers in report don't add up",
    },
    openers = {
      "Every time I open the Orders tab in the iOS app it closes immediately.",
      "When I click Save on a product page I get \"Something went wrong (500)\".",
      "Since your update last night the dashboard is just a white page.",
      "Our stock counts are off after the nightly sync, items that sold out show 12 in stock.",
      "The CSV export only contains the header row, no data.",
      "Labels from the LP-200 come out rotated 180 degrees since yesterday.",
      "Searching for \"café\" or \"Müller\" returns nothing although those products exist.",
      "Image upload spins forever and then fails with a network error, any file size.",
      "We see every order twice in the list, but only once in the shop.",
      "The sales report shows different totals depending on which day I start the range.",
      "The Android app freezes for about 20 seconds whenever I scan a barcode.",
      "A 10% discount code got applied twice at checkout, the customer paid way too little.",
      "Pages take 30+ seconds to load today, it's basically unusable.",
    },
    details = {
      "Steps: open {company}, go to Products, pick any item, change the price, click Save.",
      "I'm on version 4.{minor} of the app.", "Happens in {browser} and Firefox, so not the browser.",
      "Console shows: TypeError: cannot read properties of undefined (reading 'sku').",
      "Screenshot attached.", "It started after the update on {date}.",
      "Around 40 products affected as far as I can tell.", "I already tried logging out and back in and reinstalling.",
    },
    asks = {
      "Is this a known issue?", "Can you have a look? It's blocking our work.", "Any workaround until it's fixed?",
      "Please fix asap.", "Let me know if you need more info to reproduce.",
    },
    followups = {
      "Confirmed, it works after the update. Thanks!", "Still happening on version 4.{minor}.",
      "Here's another screenshot, same error.", "The workaround helps for now.",
    },
    replies = {
      "Thanks for the detailed steps; I could reproduce it and our engineers have a fix in review. I'll update you as soon as it ships.",
      "This is a known issue with version 4.{minor}; updating to the latest version from the app store fixes it.",
      "Could you send us the time it happened (with timezone) and the product SKU? That will help us find the request in our logs.",
      "As a workaround you can export from Reports &gt; Orders instead of the product list while we fix the CSV export.",
    },
    notes = {
      "Reproduced on staging, filed ENG-{ticket}.", "Duplicate of ENG-{ticket}, linked.",
      "Fixed in 4.{minor}.3, waiting for customer to confirm.", "Can't reproduce, asked for HAR file.",
    },
    mentions = {
      "By the way the app crashed twice while I was writing this.",
      "(The reports page also throws an error sometimes, but that's minor.)",
    },
  },

  shipping = {
    weight = 11,
    subjects = {
      "Where is my order?", "Tracking hasn't updated in 6 days", "Package arrived damaged",
      "Wrong item delivered", "Order {order} not received", "Customs fees on my delivery??",
      "Can I change the delivery address", "Courier says delivered but nothing here",
      "When will the scanners ship?", "Missing cable in the box", "Express shipping to {city}?",
      "Delivery delayed again",
    },
    openers = {
      "I ordered two label printers on {date} and the tracking still says \"label created\".",
      "The parcel arrived today but the box was crushed and the printer's lid is cracked.",
      "I ordered the S3 scanner but received a charging dock instead.",
      "DHL says the package was delivered yesterday but there's nothing at our door or with the neighbours.",
      "The courier wants {amount} in import duties before they'll hand over the package. Nobody told us about that.",
      "We moved office, can you send order {order} to the new address before it goes out?",
      "The website said 3-5 business days and it's been two weeks.",
      "The box only had the printer, no power cable and no roll of labels.",
      "Do you ship to {city}? And how fast can it get there?",
      "Our order shows as dispatched but the tracking number doesn't work on the carrier's site.",
      "We need the scanners before our store opening on Monday, is there any way to speed this up?",
    },
    details = {
      "Order number {order}, tracking {tracking}.", "The new address is {street}, {city}.",
      "Photos of the box are attached.", "We're a small shop and we were counting on this for the weekend.",
      "The delivery note says 2 items but only 1 was inside.", "I'm home all day this week if the courier tries again.",
    },
    asks = {
      "Can you check with the carrier?", "Please send a replacement.", "When can I expect it?",
      "Can you update the address?", "What are my options?",
    },
    followups = {
      "It finally arrived, thanks.", "Tracking still hasn't moved.", "The replacement came, all good now.",
      "Carrier says it's been returned to sender?",
    },
    replies = {
      "I've contacted the carrier and opened an investigation for tracking {tracking}. If it doesn't turn up within 48 hours we'll ship a replacement.",
      "Sorry about the damaged printer. I've arranged a replacement with express delivery; no need to send the broken one back.",
      "I've updated the delivery address for order {order} - it hadn't left the warehouse yet.",
      "Orders outside the EU can be charged import duties by customs; I've refunded the duties you paid as a one-off.",
    },
    notes = {
      "Carrier claim opened, ref {ref}.", "Warehouse confirms cable missing from batch 22, re-shipping.",
      "Address updated in fulfilment system before pick.", "Package stuck in customs in {city}.",
    },
    mentions = {
      "Also, the scanner I ordered last week still hasn't arrived.",
      "(And the tracking link you sent doesn't work, by the way.)",
    },
  },

  feature_requests = {
    weight = 9,
    subjects = {
      "Suggestion: dark mode", "Any plans for multi-currency?", "Would love bulk editing",
      "Feature idea - scheduled reports", "Please add a Polish translation", "Request: custom fields on orders",
      "Is a Mac desktop app on the roadmap?", "Wishlist item: keyboard shortcuts", "Could you support ZPL label sizes",
      "Allow more than one warehouse?", "Idea for the mobile app", "Export to Excel directly",
    },
    openers = {
      "Would it be possible to add a dark theme? We work late and the white screen is harsh.",
      "We sell in EUR and GBP and it'd be great if prices could be stored in more than one currency.",
      "Editing 300 products one by one is painful - any chance of a bulk edit option?",
      "It would save me a lot of time if the weekly sales report could be emailed automatically every Monday.",
      "Our staff in Poland would really appreciate the app in Polish.",
      "I'd love to be able to add our own fields to orders, like gift message or delivery slot.",
      "Are there any plans to support a second warehouse location? We just opened a small store.",
      "Not a problem, just an idea: keyboard shortcuts for the packing screen would speed things up a lot.",
      "We use 4x6 labels and it would be nice to choose other sizes in the print dialog.",
      "In the mobile app it would help to see the product photo when scanning.",
      "Any chance of an Excel export (xlsx) rather than CSV? Our accountant struggles with the separators.",
    },
    details = {
      "We've been customers for {years} years and love the product otherwise.",
      "A competitor has this, and it's the one thing my team keeps asking about.",
      "Even a simple version would be fine.", "Happy to beta test if that helps.",
      "I know you probably get a lot of these.",
    },
    asks = {
      "Is this on the roadmap?", "Could you pass this on to the product team?", "Any ETA?",
      "Let me know if this is something you'd consider.", "Thanks for listening!",
    },
    followups = {
      "Great to hear it's planned!", "Any news on this one?", "Thanks for passing it on.",
    },
    replies = {
      "Thanks for the suggestion! I've passed it to our product team and added your vote to the request.",
      "Good news: this is on our roadmap for later this year. I'll let you know when it's available to try.",
      "It's not something we support today, but as a workaround you can use the CSV export and a saved template.",
    },
    notes = {
      "Added +1 to the product board.", "Third request for multi-warehouse this month.",
      "Tagged for PM review.", "Customer willing to beta test.",
    },
    mentions = {
      "Also a small wish: it would be nice to have a dark mode some day.",
      "(Unrelated, but bulk editing would make my life so much easier.)",
    },
  },

  cancellations = {
    weight = 8,
    subjects = {
      "Cancel my subscription", "Please close our account", "Not renewing", "How do I stop the automatic renewal?",
      "Downgrade to free?", "We're moving to another provider", "Pause subscription for winter?",
      "Cancel at end of term", "closing the shop - cancel everything", "Terminate contract",
    },
    openers = {
      "Please cancel our subscription at the end of the current billing period.",
      "We're closing the shop at the end of the month so we won't need {company} anymore.",
      "I don't see a way to turn off auto-renew in the settings. We don't want to continue.",
      "We've decided to switch to another system that our accountant uses, so please end our plan.",
      "Business is slow over the winter; can we pause instead of paying for months we won't use?",
      "I want to downgrade from {plan} to the free tier, or cancel if that isn't possible.",
      "Our contract renews on {date} and we'd like to terminate it before then.",
      "Honestly the price increase was too much for a shop our size. Please stop the subscription.",
      "I tried to cancel in the app but the button just reloads the page.",
      "My father passed away and I need to close his shop's account.",
    },
    details = {
      "The account email is {email}.", "We'll export our data first.",
      "Please confirm that we won't be charged again.", "We've been with you since {year}.",
      "If there's a cheaper option I might reconsider.",
    },
    asks = {
      "Please confirm once it's done.", "What happens to our data after we cancel?",
      "Will I get the remaining months refunded?", "Can you do this for me?",
    },
    followups = {
      "Thanks for confirming.", "I still received a renewal notice, is it cancelled?",
      "OK, I'll keep the free plan then.",
    },
    replies = {
      "I've cancelled your subscription; it will stay active until the end of the current period on {date} and you won't be charged again.",
      "Sorry to see you go! Before I cancel: we can pause the account for up to 3 months at no cost. Would that help?",
      "Done - you're now on the free tier. Your data stays available and you can upgrade again any time.",
    },
    notes = {
      "Retention offer declined.", "Cancelled effective end of term.", "Churn reason: price.",
      "Customer moving to competitor, no offer made.",
    },
    mentions = {
      "To be honest, if this doesn't get better we'll probably cancel.",
      "(We're also thinking about ending the subscription next year, but not yet.)",
    },
  },

  onboarding = {
    weight = 8,
    subjects = {
      "Getting started questions", "How do I import my products?", "New account - where to begin?",
      "Setting up the label printer", "Help with first setup", "Training for new staff?",
      "How to add my team", "Trial - a few questions", "Connecting my first scanner", "Walkthrough call?",
    },
    openers = {
      "We just signed up and I'm a bit lost - what should I set up first?",
      "I have about 800 products in a spreadsheet, what's the best way to get them into {company}?",
      "The LP-200 arrived today. How do I connect it to my laptop and print the first label?",
      "We have two new people starting next week; do you have any training material or videos?",
      "How do I invite the rest of my team and give them limited access?",
      "I'm on the trial and want to check whether it fits our workflow before paying.",
      "Is there someone who could walk us through the setup on a call?",
      "Where do I configure tax rates and the currency for the shop?",
      "I paired the scanner over bluetooth but nothing happens when I scan in the app.",
      "What's the recommended way to set up stock locations for a small store plus a back room?",
    },
    details = {
      "We're a small bakery / café with about 10 staff.", "The spreadsheet has SKU, name, price and stock columns.",
      "I'm not very technical so step by step would be great.", "We want to go live on {date}.",
      "I read the help centre article but got stuck at step 3.",
    },
    asks = {
      "Any tips?", "Can you point me in the right direction?", "Could you help me get this set up?",
      "Thanks in advance!", "What do you recommend?",
    },
    followups = {
      "Got it working, thanks for the guide!", "The import worked but prices came in without decimals.",
      "Booked a slot for the call.",
    },
    replies = {
      "Welcome aboard! The quickest start is:<ol><li>Settings &gt; Shop: currency and taxes</li><li>Products &gt; Import: upload your spreadsheet</li><li>Team: invite your colleagues</li></ol>",
      "To connect the LP-200, install the driver from Settings &gt; Hardware, then choose it as default printer. Our setup video walks through it in 4 minutes.",
      "I'd be happy to do a 30-minute onboarding call; you can pick a time that suits you here: https://kestrel.example/book",
    },
    notes = {
      "Sent onboarding checklist.", "Trial ends {date}, good fit - follow up.", "Booked onboarding call.",
    },
    mentions = {
      "I'm still new to all this so sorry if that's a silly question.",
      "(We only started using {company} last week, still finding our way around.)",
    },
  },

  integrations = {
    weight = 8,
    subjects = {
      "Shopify sync stopped", "Webhook not firing", "Zapier zap fails with 401", "API rate limit question",
      "Slack notifications not arriving", "How to get an API key?", "WooCommerce orders not importing",
      "QuickBooks connector duplicates invoices", "Order webhook payload missing SKU", "REST API pagination question",
      "Connecting to our ERP",
    },
    openers = {
      "Since Monday new orders from our Shopify store aren't showing up in {company} anymore.",
      "We registered a webhook for order.created but our endpoint never receives anything.",
      "Our Zap that creates orders keeps failing with \"401 Unauthorized\" since this morning.",
      "We're building a small script against your REST API and keep hitting 429s. What's the limit per minute?",
      "The Slack app used to post a message for every big order, it stopped a few days ago.",
      "Where do I generate an API token for our developer?",
      "WooCommerce orders come in without the customer's phone number.",
      "The QuickBooks connector creates every invoice twice.",
      "The webhook payload for order updates doesn't include the line item SKUs, is that intended?",
      "Our ERP team wants to pull stock levels every 5 minutes - is there a bulk endpoint?",
      "When I follow the next link in the API response I get the same page again.",
    },
    details = {
      "Our endpoint is https://hooks.{domain}/kestrel and it returns 200.", "We're using the v2 API with OAuth.",
      "The Zapier task history says: Authentication failed.", "Nothing changed on our side as far as I know.",
      "I reconnected the app twice already.", "Our developer is cc'd on this email.",
    },
    asks = {
      "Can you check the logs on your side?", "Is there documentation for this?", "How do we fix it?",
      "Any idea what's wrong?", "Could you re-enable it?",
    },
    followups = {
      "Reconnecting fixed it, thanks.", "Still no webhooks arriving.", "Thanks, the docs link helped.",
    },
    replies = {
      "Your Shopify connection's access was revoked on the Shopify side; please reconnect it from Settings &gt; Integrations and the missed orders will sync automatically.",
      "Webhooks are disabled after 20 consecutive failed deliveries; I've re-enabled yours. Our logs show your endpoint timed out after 10 seconds.",
      "The API allows 120 requests per minute per account; the X-RateLimit-Remaining header tells you how many are left.",
    },
    notes = {
      "Webhook auto-disabled after failures, re-enabled.", "Shopify token revoked by merchant app uninstall.",
      "Forwarded to integrations team, ENG-{ticket}.",
    },
    mentions = {
      "(We also connect {company} to Shopify, in case that matters.)",
      "Our Zapier integration also gave an error yesterday but it seems fine now.",
    },
  },

  data_privacy = {
    weight = 7,
    subjects = {
      "GDPR data request", "Please delete all my personal data", "Request for a copy of my data",
      "Data processing agreement (DPA)", "Where is our data stored?", "Right to erasure",
      "Remove my details from your systems", "Subject access request", "Export all our shop data",
      "Question about your privacy policy",
    },
    openers = {
      "Under the GDPR I'm asking for a copy of all personal data you hold about me.",
      "Please erase my account and every piece of personal information associated with it.",
      "Our legal team needs a signed data processing agreement before we can continue using {company}.",
      "Can you tell me in which country our customers' data is stored and who your sub-processors are?",
      "I never signed up for this and I want my email address removed from your database.",
      "We'd like a full export of our orders and customer records before we move systems.",
      "One of our customers asked us to delete their data; how do we do that in {company}?",
      "Do you share any of our data with third parties for marketing?",
      "I'm exercising my right to be forgotten. Please confirm in writing once it's done.",
      "How long do you keep data after an account is closed?",
    },
    details = {
      "My email on file should be {email}.", "We're based in {city}, so EU rules apply.",
      "Our DPO is cc'd.", "Please respond within the statutory 30 days.",
      "This includes backups and any analytics data.",
    },
    asks = {
      "Please confirm receipt of this request.", "How long will this take?", "Can you send the documents?",
      "What's the process?",
    },
    followups = {
      "Thanks, we received the export.", "Can you confirm backups are deleted too?", "The DPA is signed and attached.",
    },
    replies = {
      "We've received your request and verified your identity. Your data export will be emailed within 7 days via a secure link.",
      "Your account and personal data have been scheduled for deletion; backups are purged within 30 days.",
      "You'll find our DPA and sub-processor list at https://kestrel.example/legal. Once countersigned, please send it back to this address.",
    },
    notes = {
      "Identity verified, DSAR logged in privacy register.", "Deletion job queued, ticket to legal.",
      "DPA signed by legal, copy in drive.",
    },
    mentions = {
      "Also, please make sure my personal details aren't shared with anyone.",
      "(And I'd like a copy of the data you hold on us at some point.)",
    },
  },
}

_M.topic_order = { "billing", "refunds", "login", "bugs", "shipping", "feature_requests",
  "cancellations", "onboarding", "integrations", "data_privacy" }

_M.greetings = { "Hi,", "Hello,", "Hi there,", "Hey team,", "Good morning,", "Dear {company} support,",
  "Hello {company},", "Hi {agent_first},", "Hallo,", "Bonjour,", "" }
_M.closings = { "Thanks,", "Thank you,", "Best regards,", "Cheers,", "Kind regards,", "Thanks in advance,",
  "Many thanks,", "Merci,", "Danke!", "Regards," }
_M.moods = { "", "", "", "", " 🙏", " 😅", " 😡", " 🙂", " !!", "" }
_M.agent_greetings = { "Hi {first},", "Hello {first},", "Hi {first}, thanks for reaching out.",
  "Hi {first}, thanks for your patience.", "Dear {first}," }
_M.agent_closings = { "Best regards,", "Kind regards,", "Cheers,", "All the best," }
_M.lineitems = { "Assigned to {agent}", "Status changed to Pending", "Moved from {mailbox}",
  "{agent} marked as Closed", "Conversation tagged", "Customer waiting time reset" }

_M.first_names = {
  { "José", "jose" }, { "Zoë", "zoe" }, { "Søren", "soren" }, { "François", "francois" },
  { "Małgorzata", "malgorzata" }, { "Björn", "bjorn" }, { "Chloé", "chloe" }, { "Renée", "renee" },
  { "Ana", "ana" }, { "Mateus", "mateus" }, { "Hiroshi", "hiroshi" }, { "Yuki", "yuki" },
  { "太郎", "taro" }, { "Thảo", "thao" }, { "Ólafur", "olafur" }, { "Siobhán", "siobhan" },
  { "Aleksandr", "aleksandr" }, { "Priya", "priya" }, { "Fatima", "fatima" }, { "Emma", "emma" },
  { "Liam", "liam" }, { "Noah", "noah" }, { "Olivia", "olivia" }, { "Sofia", "sofia" },
  { "Lucas", "lucas" }, { "Mia", "mia" }, { "Ethan", "ethan" }, { "Ava", "ava" }, { "Wei", "wei" },
  { "Oluwaseun", "oluwaseun" }, { "Kwame", "kwame" }, { "Ingrid", "ingrid" }, { "Lars", "lars" },
  { "Anaïs", "anais" }, { "Jürgen", "jurgen" }, { "Dmitri", "dmitri" }, { "Agnieszka", "agnieszka" },
  { "Carlos", "carlos" }, { "Lucía", "lucia" }, { "Raúl", "raul" }, { "Maya", "maya" },
  { "Omar", "omar" }, { "Leila", "leila" }, { "Grace", "grace" }, { "Hannah", "hannah" },
  { "Daniel", "daniel" }, { "Ben", "ben" }, { "Kate", "kate" }, { "Tom", "tom" }, { "Sara", "sara" },
  { "Pat", "pat" }, { "Chris", "chris" }, { "Jamie", "jamie" }, { "Nadia", "nadia" },
}
_M.last_names = {
  { "García", "garcia" }, { "Müller", "mueller" }, { "Nørgaard", "norgaard" }, { "Kowalski", "kowalski" },
  { "O'Brien", "obrien" }, { "Smith", "smith" }, { "Johnson", "johnson" }, { "Lee", "lee" },
  { "Patel", "patel" }, { "Nakamura", "nakamura" }, { "田中", "tanaka" }, { "李", "li" },
  { "Dubois", "dubois" }, { "Rossi", "rossi" }, { "Silva", "silva" }, { "Hernández", "hernandez" },
  { "Jensen", "jensen" }, { "Andersson", "andersson" }, { "Novák", "novak" }, { "Ivanov", "ivanov" },
  { "Okafor", "okafor" }, { "Mensah", "mensah" }, { "Brown", "brown" }, { "Wilson", "wilson" },
  { "Taylor", "taylor" }, { "Clarke", "clarke" }, { "Murphy", "murphy" }, { "Schmidt", "schmidt" },
  { "Lefèvre", "lefevre" }, { "Costa", "costa" }, { "Yılmaz", "yilmaz" }, { "Nguyễn", "nguyen" },
  { "Kim", "kim" }, { "Park", "park" }, { "Haddad", "haddad" }, { "Fernández", "fernandez" },
  { "Søndergaard", "sondergaard" }, { "Ito", "ito" },
}
_M.free_domains = { "gmail.com", "outlook.com", "yahoo.co.jp", "web.de", "orange.fr", "icloud.com",
  "proton.me", "hotmail.co.uk", "gmx.at", "libero.it" }
_M.orgs = {
  { "Fjord & Pine Goods", "fjordpine.example" }, { "Casa Lucía Imports", "casalucia.example" },
  { "Brightmart", "brightmart.example" }, { "Söderberg Outdoor", "soderberg.example" },
  { "Tanaka Trading K.K.", "tanaka-trading.example" }, { "Little Fox Bakery", "littlefox.example" },
  { "Maison Lefèvre", "maisonlefevre.example" }, { "Okafor Electronics", "okafor-elec.example" },
  { "Green Leaf Tea Co.", "greenleaf.example" }, { "Nordic Fika AB", "nordicfika.example" },
  { "Café Müller", "cafe-mueller.example" }, { "Blue Harbor Surf", "blueharbor.example" },
  { "Pixel & Paper", "pixelpaper.example" }, { "Saigon Spice", "saigonspice.example" },
}
_M.cities = { "Lisbon", "München", "Kraków", "København", "Zürich", "Osaka", "Toronto", "São Paulo",
  "Austin, TX", "Dublin", "Lyon", "Reykjavík", "Hà Nội", "Cape Town", "Melbourne", "Malmö" }
_M.streets = { "Rua Augusta 12", "Hauptstraße 5", "ul. Długa 44", "Nørrebrogade 101", "12 Harbour Rd",
  "221 King St W", "Calle Mayor 3" }
_M.browsers = { "Chrome", "Safari", "Firefox", "Edge", "Chrome on Android", "the iPad app" }
_M.plans = { "Starter", "Growth", "Pro", "Growth (annual)", "Pro (annual)" }
_M.job_titles = { "Owner", "Ops Manager", "Store Manager", "Bookkeeper", "Warehouse Lead", "Founder",
  "Developer", "Office Manager", "Head of E-commerce" }
_M.generic_tags = { "vip", "urgent", "follow-up", "escalated", "needs-info", "new-customer", "priority" }
-- Tags an agent might plausibly put on a conversation of each topic (not always applied, and not
-- always right).
_M.topic_tags = {
  billing = { "billing", "invoice", "payments" }, refunds = { "refund", "billing", "returns" },
  login = { "login", "account-access", "2fa" }, bugs = { "bug", "app", "escalated" },
  shipping = { "shipping", "hardware", "delivery" }, feature_requests = { "feature-request", "feedback" },
  cancellations = { "cancellation", "churn-risk", "billing" }, onboarding = { "onboarding", "trial", "setup" },
  integrations = { "integrations", "api", "shopify" }, data_privacy = { "gdpr", "privacy", "legal" },
}

return _M
