import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { exampleConfig } from '../vite-base.js';

export default defineConfig({ ...exampleConfig, plugins: [react()] });
