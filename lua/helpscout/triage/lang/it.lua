return { code = 'it', stop = '', topics = {} }
