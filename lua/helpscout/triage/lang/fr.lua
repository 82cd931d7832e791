return { code = 'fr', stop = '', topics = {} }
