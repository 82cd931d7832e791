return { code = 'nl', stop = '', topics = {} }
