import { useState, type FormEvent } from 'react';

import { ApiError, errorMessage, type FieldErrors } from '../api/http';
import { createContact, type Thread } from './api';
import './NewContactForm.css';

interface NewContactFormProps {
  onCreated: (thread: Thread) => void;
}

/** Start texting as a phone number the workspace has not seen yet. */
export function NewContactForm({ onCreated }: NewContactFormProps) {
  const [phone, setPhone] = useState('');
  const [firstName, setFirstName] = useState('');
  const [isSaving, setIsSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<FieldErrors>({});

  async function onSubmit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    setIsSaving(true);
    setError(null);
    setFields({});
    try {
      const thread = await createContact({ phone: phone.trim(), firstName: firstName.trim() });
      setPhone('');
      setFirstName('');
      onCreated(thread);
    } catch (caught) {
      setError(errorMessage(caught));
      setFields(caught instanceof ApiError ? caught.fields : {});
    } finally {
      setIsSaving(false);
    }
  }

  return (
    <form className="new-contact" onSubmit={(event) => void onSubmit(event)}>
      <h2 className="new-contact__title">Text from a new number</h2>
      <label className="new-contact__field">
        Phone number
        <input
          type="tel"
          data-testid="new-contact-phone"
          placeholder="+12125550123"
          autoComplete="off"
          value={phone}
          aria-invalid={fields.phone !== undefined}
          onChange={(event) => setPhone(event.target.value)}
        />
        {fields.phone && <span className="new-contact__field-error">{fields.phone}</span>}
      </label>
      <label className="new-contact__field">
        First name <span className="new-contact__optional">(optional)</span>
        <input
          type="text"
          data-testid="new-contact-name"
          autoComplete="off"
          value={firstName}
          aria-invalid={fields.first_name !== undefined}
          onChange={(event) => setFirstName(event.target.value)}
        />
        {fields.first_name && <span className="new-contact__field-error">{fields.first_name}</span>}
      </label>
      <button
        type="submit"
        className="new-contact__submit"
        data-testid="new-contact-submit"
        disabled={isSaving || phone.trim() === ''}
      >
        {isSaving ? 'Adding…' : 'Start texting'}
      </button>
      {error !== null && (
        <p className="new-contact__error" role="alert" data-testid="new-contact-error">
          {error}
        </p>
      )}
    </form>
  );
}
