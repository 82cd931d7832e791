return { code = 'ja', stop = '', topics = {} }
