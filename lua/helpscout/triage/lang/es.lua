-- Spanish (Español): detection stop words, topic lexicon, priority cues and reply templates.
-- Format: doc/triage-languages.md. Accents fold (á -> a, ñ -> n).
return {
  code = "es", name = "Español",
  stop = [[el los las es pero mi mis muy una unos unas gracias hola yo ya del al hay sin
    también porque está estoy están tengo tiene tenemos hemos he ha han lo le les nos
    nuestro nuestra su sus este esta esto eso cuando como qué cuál donde saludos buenas
    buenos días tardes favor puedo pueden podrían quiero necesito sigue todavía aún nada
    hace desde fue era muchas alguna algún algo poder podrían un y o que se me te con para por en de la no]],
  topics = {
    billing = {
      ["factur*"] = 3, ["cobr*"] = 3, ["*cobro"] = 3, ["pago*"] = 2, ["pagar"] = 1, ["pague"] = 1,
      ["tarjeta*"] = 2, ["tarjeta de credito"] = 2, iva = 3, ["nif"] = 3, ["cif"] = 3, ["rfc"] = 3,
      ["importe*"] = 2, ["monto"] = 2, ["precio*"] = 1, ["tarifa*"] = 1, ["suscripcion"] = 1,
      ["cargo*"] = 3, ["*cargo"] = 3, ["cargaron"] = 3, ["dos veces"] = 1, ["recibo*"] = 3,
      ["comision*"] = 2, ["transferencia*"] = 2, paypal = 2, ["descuento*"] = 2, ["cupon"] = 2,
      ["plan anual"] = 2, ["plan mensual"] = 2, ["razon social"] = 2, ["renovacion"] = 1,
      ["domiciliacion"] = 3, ["presupuesto"] = 1, ["impuesto*"] = 2,
    },
    refunds = {
      ["reembols*"] = 4, ["rembols*"] = 4, ["devolucion del dinero"] = 4, ["devuelvan"] = 3, ["devolver el dinero"] = 4,
      ["devolverme"] = 3, ["mi dinero"] = 3, ["reintegr*"] = 4, ["por error"] = 1, ["sin querer"] = 1,
      ["contracargo*"] = 3, ["disputa"] = 2, ["garantia"] = 1, ["desistimiento"] = 3, ["abono"] = 2,
      ["devolucion"] = 2,
    },
    login = {
      ["iniciar sesion"] = 3, ["inicio de sesion"] = 3, ["sesion"] = 1, ["contrasena*"] = 3,
      ["clave"] = 2, ["acceder"] = 2, ["acceso"] = 2, ["entrar"] = 2, ["login"] = 3, ["loguear*"] = 3,
      ["logue*"] = 3, ["bloquead*"] = 2, ["codigo de verificacion"] = 3, ["autenticacion"] = 3,
      ["doble factor"] = 3, ["dos pasos"] = 3, ["2fa"] = 3, ["usuario"] = 1, ["restablecer"] = 2,
      ["recuperar la cuenta"] = 3, ["recuperar mi cuenta"] = 3, ["sso"] = 3, ["credenciales"] = 2,
    },
    bugs = {
      ["error*"] = 2, ["fallo*"] = 3, ["falla*"] = 3, ["bug*"] = 3, ["se cuelga"] = 3, ["colgad*"] = 2,
      ["no funciona"] = 3, ["dejo de funcionar"] = 3, ["no carga"] = 3, ["crash*"] = 3, ["se cierra"] = 3,
      ["pantalla en blanco"] = 3, ["pagina en blanco"] = 3, ["congel*"] = 2, ["roto"] = 2,
      ["captura de pantalla"] = 1, ["navegador"] = 1, ["version"] = 1, ["actualizacion"] = 1,
      ["no pasa nada"] = 3, ["desaparec*"] = 2, ["no guarda"] = 2, ["cargando"] = 1, ["500"] = 2,
      ["no se ve"] = 2, ["no aparece"] = 2, ["se traba"] = 3, ["problema tecnico"] = 2,
    },
    shipping = {
      ["envio*"] = 3, ["*envio"] = 3, ["enviad*"] = 2, ["paquete*"] = 3, ["pedido*"] = 2,
      ["entrega*"] = 3, ["entregad*"] = 3, ["seguimiento"] = 3, ["numero de seguimiento"] = 4,
      ["mensajeria"] = 3, ["transportista"] = 3, correos = 3, seur = 3, mrw = 3, dhl = 3, ups = 2,
      ["no ha llegado"] = 3, ["no me ha llegado"] = 3, ["no llego"] = 3, ["llego"] = 1, ["llegar"] = 1,
      ["direccion de envio"] = 4, ["direccion de entrega"] = 4, ["aduana*"] = 2, ["danado"] = 2,
      ["caja"] = 1, ["en transito"] = 3, ["almacen"] = 2, ["repartidor"] = 3, ["despach*"] = 3,
    },
    feature_requests = {
      ["funcionalidad*"] = 3, ["sugerencia*"] = 3, ["sugiero"] = 3, ["seria genial"] = 3,
      ["seria util"] = 3, ["seria bueno"] = 3, ["estaria bien"] = 3, ["estaria genial"] = 3,
      ["me encantaria"] = 2, ["podrian agregar"] = 3, ["podrian anadir"] = 3, ["agregar*"] = 2, ["funcion"] = 1,
      ["anadir*"] = 2, ["modo oscuro"] = 3, ["idea*"] = 2, ["mejora*"] = 2, ["hoja de ruta"] = 3,
      ["roadmap"] = 3, ["tienen pensado"] = 3, ["planes de"] = 2, ["opcion de"] = 2, ["opcion para"] = 2,
      ["nueva funcion"] = 3, ["echo de menos"] = 2, ["integrar*"] = 2, ["integracion*"] = 2,
      ["se podria"] = 1, ["posibilidad de"] = 2,
    },
    cancellations = {
      ["cancel*"] = 4, ["*cancelacion"] = 4, ["dar de baja"] = 4, ["darme de baja"] = 4, ["baja"] = 2,
      ["anular"] = 3, ["cerrar mi cuenta"] = 3, ["cerrar la cuenta"] = 3, ["no renovar"] = 3,
      ["renovacion automatica"] = 2, ["competencia"] = 2, ["ya no"] = 1, ["no lo necesito"] = 2,
      ["no lo usamos"] = 2, ["nos cambiamos"] = 2, ["pausar"] = 2, ["desactivar"] = 2,
      ["terminar la suscripcion"] = 4, ["rescindir"] = 3,
    },
    data_privacy = {
      rgpd = 4, gdpr = 4, lopd = 4, ["datos personales"] = 4, ["mis datos"] = 3, ["datos"] = 1,
      ["privacidad"] = 3, ["proteccion de datos"] = 4, ["derecho de acceso"] = 4, ["derecho al olvido"] = 4,
      ["supresion"] = 3, ["borrar mis"] = 3, ["eliminar mis"] = 3, ["borren"] = 2, ["consentimiento"] = 3,
      ["cookie*"] = 2, ["terceros"] = 1, ["copia de mis"] = 3, ["arco"] = 3, ["portabilidad"] = 3,
    },
    onboarding = {
      ["configurar"] = 2, ["configuracion"] = 2, ["primeros pasos"] = 4, ["como puedo"] = 2,
      ["tutorial*"] = 3, ["guia"] = 2, ["invitar"] = 2, ["capacitacion"] = 2,
    },
  },
  urgent = { "urgente", "urgentemente", "urge", "cuanto antes", "lo antes posible", "inmediatamente",
    "ya mismo", "asap", "crítico", "emergencia", "producción", "plazo", "abogado", "acciones legales",
    "demanda", "denuncia", "consumo", "inaceptable", "vergüenza", "indignante", "estafa", "harto",
    "furioso", "no puedo trabajar", "bloqueado" },
  followup = { "sigo esperando", "todavía no", "aún no", "sin respuesta", "ninguna respuesta",
    "no he recibido respuesta", "segunda vez", "tercera vez", "otra vez", "de nuevo", "alguna novedad",
    "recordatorio" },
  reply = {
    greeting = "Hola %s:", greeting_anon = "Hola:",
    about = "Gracias por escribirnos sobre «%s».",
    asked = "Nos preguntaste: «%s»", wrote = "Nos escribiste: «%s»",
    sign_off = "Un saludo,", team = "El equipo de soporte",
    templates = {
      billing = { ack = "Gracias por escribirnos sobre tu facturación.",
        next = "Estoy revisando los cargos y las facturas de tu cuenta y te confirmo los detalles " ..
          "(o te envío una factura corregida) en cuanto termine." },
      refunds = { ack = "Gracias por contactarnos por un reembolso.",
        next = "Estoy revisando el pago según nuestra política de reembolsos; una vez aprobado, el " ..
          "reembolso suele verse en tu cuenta en 5 a 10 días hábiles y te avisaré cuando se emita." },
      login = { ack = "Sentimos que tengas problemas para entrar en tu cuenta.",
        next = "¿Puedes probar el enlace «¿Olvidaste tu contraseña?» en la página de inicio de sesión y " ..
          "decirme el mensaje exacto si sigue fallando? También puedo restablecer el acceso cuando " ..
          "haya verificado la cuenta." },
      bugs = { ack = "Gracias por avisarnos, y perdona las molestias.",
        next = "Para reproducirlo, ¿nos envías los pasos que seguiste, el navegador o la versión de la " ..
          "app y una captura del error? Se lo paso a nuestro equipo técnico con esos datos." },
      shipping = { ack = "Gracias por preguntarnos por tu pedido.",
        next = "Estoy consultando el envío con la empresa de transporte y te mando el número de " ..
          "seguimiento y la fecha de entrega prevista." },
      feature_requests = { ack = "Gracias por la sugerencia, este tipo de comentarios nos ayuda mucho.",
        next = "La he compartido con el equipo de producto y he sumado tu voto; te avisaré si entra " ..
          "en la hoja de ruta." },
      cancellations = { ack = "Gracias por avisarnos, sentimos que te vayas.",
        next = "Puedo encargarme de la cancelación. Antes, ¿hay algo que podríamos haber hecho mejor, " ..
          "o te ayudaría pausar la cuenta?" },
      data_privacy = { ack = "Gracias por tu solicitud sobre tus datos personales.",
        next = "Tramitamos tu solicitud conforme al RGPD dentro del plazo legal de un mes. Primero " ..
          "verificamos tu identidad y después te respondemos por escrito." },
      onboarding = { ack = "Gracias por escribirnos, te ayudo encantado a empezar.",
        next = "Te envío los pasos y un enlace a nuestra guía de primeros pasos; si lo prefieres, lo " ..
          "vemos juntos en una llamada corta." },
      default = { ack = "Gracias por escribirnos.",
        next = "Lo estoy revisando ahora y te escribo en cuanto tenga novedades." },
    },
  },
}
