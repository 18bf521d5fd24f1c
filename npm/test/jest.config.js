'use strict';
module.exports = {
  testMatch: ['<rootDir>/jest/**/*.test.js', '<rootDir>/examples/jest.test.js'],
  testEnvironment: 'node',
};
