return { code = 'es', stop = '', topics = {} }
