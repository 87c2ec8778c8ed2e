// Alert and rule resolvers live beside this file; ticket resolvers under ../tickets.
export const resolvers = {};
