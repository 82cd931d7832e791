-- Portuguese (Português): detection stop words, topic lexicon, priority cues and reply templates.
-- Format: doc/triage-languages.md. Accents fold (ã -> a, ç -> c).
return {
  code = "pt", name = "Português",
  stop = [[não você vocês meu minha meus minhas com uma um está estou estão obrigado obrigada
    ao aos do da dos das em no na nos nas isso isto pelo pela já também mas foi eu ele ela
    olá oi bom dia boa tarde noite tenho tem temos fiz faz preciso quero consigo pode podem
    poderiam ainda nada quando como porque onde qual seu sua seus suas nosso nossa
    atenciosamente abraço favor gostaria agradeço desde então muito e o a os as de que se me para por]],
  topics = {
    billing = {
      ["fatura*"] = 3, ["faturamento"] = 3, ["cobranc*"] = 3, ["cobrad*"] = 3, ["cobraram"] = 3,
      ["pagamento*"] = 2, ["pagar"] = 1, ["paguei"] = 1, ["cartao"] = 2, ["cartao de credito"] = 2,
      ["boleto*"] = 3, ["pix"] = 2, ["nota fiscal"] = 4, ["nf-e"] = 3, ["nfe"] = 3, ["cnpj"] = 3, ["cpf"] = 1,
      ["nif"] = 3, ["iva"] = 3, ["valor*"] = 1, ["preco*"] = 1, ["plano"] = 1, ["assinatura"] = 1,
      ["duas vezes"] = 1, ["recibo*"] = 3, ["taxa*"] = 2, ["transferencia"] = 2, paypal = 2,
      ["desconto*"] = 2, ["cupom"] = 2, ["renovacao"] = 1, ["debit*"] = 2, ["mensalidade*"] = 2,
      ["imposto*"] = 2, ["orcamento"] = 1,
    },
    refunds = {
      ["reembols*"] = 4, ["reembol*"] = 4, ["estorn*"] = 4, ["devolucao do valor"] = 4, ["devolver o valor"] = 4,
      ["devolucao do dinheiro"] = 4, ["devolver o dinheiro"] = 4,
      ["meu dinheiro"] = 3, ["dinheiro de volta"] = 4, ["ressarc*"] = 4, ["por engano"] = 1,
      ["sem querer"] = 1, ["chargeback"] = 3, ["contestacao"] = 2, ["direito de arrependimento"] = 4,
      ["arrependimento"] = 3, ["devolvam"] = 3, ["devolucao"] = 3,
    },
    login = {
      ["login"] = 3, ["logar"] = 3, ["entrar na conta"] = 3, ["entrar"] = 2, ["senha*"] = 3,
      ["acesso"] = 2, ["acessar"] = 2, ["bloquead*"] = 2, ["codigo de verificacao"] = 3,
      ["autenticacao"] = 3, ["dois fatores"] = 3, ["duas etapas"] = 3, ["2fa"] = 3, ["usuario"] = 1,
      ["redefinir"] = 2, ["recuperar a conta"] = 3, ["recuperar minha conta"] = 3, ["sso"] = 3,
      ["sessao"] = 1, ["credenciais"] = 2, ["deslogad*"] = 3,
    },
    bugs = {
      ["erro*"] = 2, ["falha*"] = 3, ["bug*"] = 3, ["trava*"] = 3, ["travou"] = 3, ["travando"] = 3,
      ["nao funciona"] = 3, ["parou de funcionar"] = 3, ["nao carrega"] = 3, ["crash*"] = 3,
      ["fecha sozinho"] = 3, ["tela branca"] = 3, ["pagina em branco"] = 3, ["congel*"] = 2,
      ["quebrad*"] = 2, ["print"] = 1, ["captura de tela"] = 1, ["navegador"] = 1, ["versao"] = 1,
      ["atualizacao"] = 1, ["nada acontece"] = 3, ["sumiu"] = 2, ["sumiram"] = 2, ["nao salva"] = 2,
      ["carregando"] = 1, ["500"] = 2, ["nao aparece"] = 2, ["problema tecnico"] = 2, ["bugad*"] = 3,
    },
    shipping = {
      ["envio*"] = 3, ["enviad*"] = 2, ["pacote*"] = 3, ["encomenda*"] = 3, ["pedido*"] = 2,
      ["entrega*"] = 3, ["entregue"] = 3, ["rastreio"] = 4, ["rastreamento"] = 4, ["codigo de rastreio"] = 4,
      ["transportadora*"] = 3, correios = 3, ["ctt"] = 3, ["sedex"] = 3, dhl = 3, ups = 2,
      ["nao chegou"] = 3, ["ainda nao chegou"] = 3, ["chegou"] = 1, ["chegar"] = 1, ["frete"] = 3,
      ["endereco de entrega"] = 4, ["alfandega"] = 2, ["danificad*"] = 2, ["caixa"] = 1,
      ["em transito"] = 3, ["armazem"] = 2, ["despach*"] = 3, ["extraviad*"] = 3, ["postad*"] = 3,
    },
    feature_requests = {
      ["funcionalidade*"] = 3, ["recurso*"] = 2, ["sugestao"] = 3, ["sugestoes"] = 3, ["sugiro"] = 3,
      ["seria otimo"] = 3, ["seria legal"] = 3, ["seria bom"] = 3, ["seria util"] = 3,
      ["seria muito bom"] = 3, ["adoraria"] = 2, ["poderiam adicionar"] = 3, ["adicionar"] = 1,
      ["incluir"] = 1, ["modo escuro"] = 3, ["tema escuro"] = 3, ["ideia*"] = 2, ["melhoria*"] = 2,
      ["roadmap"] = 3, ["previsao de"] = 2, ["planos de"] = 2, ["opcao de"] = 2, ["opcao para"] = 2,
      ["nova funcao"] = 3, ["sinto falta"] = 2, ["possibilidade de"] = 2, ["pensam em"] = 2,
    },
    cancellations = {
      ["cancel*"] = 4, ["*cancelamento"] = 4, ["encerrar"] = 3, ["encerramento"] = 3,
      ["fechar minha conta"] = 3, ["excluir minha conta"] = 2, ["nao renovar"] = 3,
      ["renovacao automatica"] = 2, ["concorrente"] = 2, ["nao preciso mais"] = 2,
      ["nao usamos mais"] = 2, ["vamos migrar"] = 2, ["migrar para"] = 2, ["pausar"] = 2,
      ["desativar"] = 2, ["rescindir"] = 3, ["rescisao"] = 3, ["desistir"] = 2,
    },
    data_privacy = {
      lgpd = 4, rgpd = 4, gdpr = 4, ["dados pessoais"] = 4, ["meus dados"] = 3, ["dados"] = 1,
      ["privacidade"] = 3, ["protecao de dados"] = 4, ["titular dos dados"] = 4, ["anpd"] = 4,
      ["exclusao"] = 2, ["apagar meus"] = 3, ["excluir meus"] = 3, ["eliminar meus"] = 3,
      ["consentimento"] = 3, ["cookie*"] = 2, ["terceiros"] = 1, ["copia dos meus"] = 3,
      ["anonimiz*"] = 3, ["portabilidade"] = 3,
    },
    onboarding = {
      ["configurar"] = 2, ["configuracao"] = 2, ["primeiros passos"] = 4, ["como faco"] = 2,
      ["tutorial*"] = 3, ["guia"] = 2, ["convidar"] = 2, ["treinamento"] = 2,
    },
  },
  urgent = { "urgente", "urgência", "com urgência", "o quanto antes", "o mais rápido possível",
    "imediatamente", "agora mesmo", "asap", "crítico", "emergência", "produção", "prazo",
    "advogado", "processo", "ação judicial", "procon", "reclame aqui", "inaceitável", "absurdo",
    "vergonha", "revoltado", "golpe", "palhaçada", "não consigo trabalhar", "bloqueado" },
  followup = { "ainda aguardo", "continuo aguardando", "ainda não", "sem resposta",
    "nenhuma resposta", "segunda vez", "terceira vez", "de novo", "novamente", "alguma novidade",
    "lembrete", "cadê" },
  reply = {
    greeting = "Olá, %s,", greeting_anon = "Olá,",
    about = "Obrigado pela mensagem sobre \"%s\".",
    asked = "Você perguntou: \"%s\"", wrote = "Você escreveu: \"%s\"",
    sign_off = "Atenciosamente,", team = "Equipe de suporte",
    templates = {
      billing = { ack = "Obrigado pela mensagem sobre a sua cobrança.",
        next = "Estou verificando as cobranças e faturas da sua conta e confirmo os detalhes (ou envio " ..
          "uma fatura corrigida) assim que terminar." },
      refunds = { ack = "Obrigado por entrar em contato sobre o reembolso.",
        next = "Estou conferindo o pagamento conforme a nossa política de reembolso; depois de aprovado, " ..
          "o estorno costuma aparecer em 5 a 10 dias úteis e eu aviso quando for emitido." },
      login = { ack = "Sentimos muito que você esteja com dificuldade para acessar a conta.",
        next = "Você pode tentar o link \"Esqueci minha senha\" na página de login e me dizer a mensagem " ..
          "exata se continuar falhando? Também posso redefinir o acesso depois de verificar a conta." },
      bugs = { ack = "Obrigado por avisar, e desculpe o transtorno.",
        next = "Para reproduzirmos, pode enviar os passos que você seguiu, o navegador ou a versão do " ..
          "app e um print do erro? Encaminho tudo para a nossa equipe técnica." },
      shipping = { ack = "Obrigado por perguntar sobre o seu pedido.",
        next = "Estou consultando o envio com a transportadora e já te mando o código de rastreio e a " ..
          "previsão de entrega." },
      feature_requests = { ack = "Obrigado pela sugestão, esse tipo de retorno ajuda muito.",
        next = "Compartilhei com o time de produto e registrei o seu voto; aviso se entrar no roadmap." },
      cancellations = { ack = "Obrigado por avisar, é uma pena ver você partir.",
        next = "Posso cuidar do cancelamento. Antes disso, há algo que poderíamos ter feito melhor, ou " ..
          "pausar a conta ajudaria?" },
      data_privacy = { ack = "Obrigado pela sua solicitação sobre os seus dados pessoais.",
        next = "Tratamos a sua solicitação conforme a LGPD/RGPD dentro do prazo legal. Primeiro " ..
          "confirmamos a sua identidade e depois respondemos por escrito." },
      onboarding = { ack = "Obrigado pela mensagem, ajudo com prazer na configuração.",
        next = "Vou enviar os passos e um link para o nosso guia de primeiros passos; se preferir, " ..
          "fazemos juntos numa chamada rápida." },
      default = { ack = "Obrigado pela mensagem.",
        next = "Já estou verificando e retorno assim que tiver novidades." },
    },
  },
}
