return { code = 'pt', stop = '', topics = {} }
